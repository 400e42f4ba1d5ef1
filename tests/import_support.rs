//! Helpers of the import tests: a scratch copy of the plan folder, fixtures made with
//! `ogr2ogr`, GDAL's own reading of a file, PROJ's Gauss-Krüger coordinates, geodesic areas.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use geo::orient::{Direction, Orient};
use geo::{GeodesicArea, MultiPolygon};
use planmap_tests::*;
use serde_json::{json, Value};

/// A scratch copy of the built-in plan folder, removed on drop.
pub struct Plan {
    pub dir: tempfile::TempDir,
}

impl Plan {
    pub fn new() -> Plan {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&data_dir(), &dir.path().join("plan"));
        Plan { dir }
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("plan")
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(planmap_bin())
            .arg("--data")
            .arg(self.data())
            .args(args)
            .output()
            .expect("run planmap")
    }
    pub fn ok(&self, args: &[&str]) -> Output {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "planmap {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }
    pub fn import_json(&self, args: &[&str]) -> Value {
        let mut a = vec!["import", "--json"];
        a.extend_from_slice(args);
        json_out(&self.ok(&a))
    }
    pub fn layer_count(&self, id: &str) -> u64 {
        let s = json_out(&self.ok(&["stats", "--json"]));
        let l = s["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone();
        l["features"].as_u64().unwrap()
    }
    /// A layer as planmap serves it, exported to GeoJSON.
    pub fn exported(&self, id: &str) -> Vec<(Value, MultiPolygon<f64>)> {
        features(&json_out(&self.ok(&["export", id])))
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

pub fn ogr2ogr(args: &[&str]) {
    let o = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (gdal-bin) is installed");
    assert!(
        o.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The features of a GeoJSON FeatureCollection, read by the `geojson` crate: properties and
/// polygons, oriented for geodesic areas.
pub fn features(fc: &Value) -> Vec<(Value, MultiPolygon<f64>)> {
    let fc: geojson::FeatureCollection = serde_json::from_value(fc.clone()).unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let g: geo::Geometry<f64> = f.geometry.clone().unwrap().try_into().unwrap();
            let mp = match g {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(mp) => mp,
                g => panic!("not a polygon: {g:?}"),
            };
            let props = Value::Object(f.properties.unwrap_or_default());
            (props, mp.orient(Direction::Default))
        })
        .collect()
}

/// GDAL's own reading of a file, in lon/lat (`more`: `-s_srs` for files stating no CRS,
/// `-oo ENCODING=…`).
pub fn gdal_reading(path: &Path, more: &[&str]) -> Vec<(Value, MultiPolygon<f64>)> {
    let mut args = vec![
        "-f",
        "GeoJSON",
        "/vsistdout/",
        path.to_str().unwrap(),
        "-t_srs",
        "EPSG:4326",
    ];
    args.extend_from_slice(more);
    let o = Command::new("ogr2ogr").args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    features(&serde_json::from_slice(&o.stdout).unwrap())
}

pub fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.geodesic_area_unsigned()
}

pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Five parks near 文水 with Chinese attributes: a plain one, one with a hole, a two-part
/// one, and two more; exteriors counter-clockwise, holes clockwise (RFC 7946).
pub fn source_geojson(p: &Plan) -> PathBuf {
    let sq =
        |x: f64, y: f64, d: f64| json!([[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]);
    let hole =
        |x: f64, y: f64, d: f64| json!([[x, y], [x, y + d], [x + d, y + d], [x + d, y], [x, y]]);
    let feats = [
        (
            "东庄产业园扩区",
            "装备制造、新材料",
            json!({"type":"Polygon","coordinates":[sq(112.15, 37.45, 0.01)]}),
        ),
        (
            "南安白酒园（二期）",
            "白酒、农副产品加工",
            json!({"type":"Polygon","coordinates":[sq(112.20, 37.30, 0.02), hole(112.205, 37.305, 0.005)]}),
        ),
        (
            "桑村新材料园",
            "新型金属材料",
            json!({"type":"MultiPolygon","coordinates":[[sq(112.25, 37.35, 0.008)], [sq(112.27, 37.35, 0.004)]]}),
        ),
        (
            "百金堡光伏园",
            "电力、光伏",
            json!({"type":"Polygon","coordinates":[sq(112.22, 37.40, 0.006)]}),
        ),
        (
            "刘胡兰镇物流园",
            "仓储物流",
            json!({"type":"Polygon","coordinates":[[[112.1, 37.5], [112.11, 37.5], [112.105, 37.51], [112.1, 37.5]]]}),
        ),
    ];
    let fc = json!({"type": "FeatureCollection", "features": feats.iter().enumerate().map(|(i, (n, ind, g))| json!({
        "type": "Feature", "properties": {"name": n, "industry": ind, "code": i as i64 + 1}, "geometry": g,
    })).collect::<Vec<_>>()});
    let path = p.path("parks.geojson");
    std::fs::write(&path, fc.to_string()).unwrap();
    path
}

/// Imports `fixture` into industrial_parks and compares what planmap serves with GDAL's
/// reading of the fixture and with the source: count, names, geodesic areas.
pub fn import_and_compare(p: &Plan, fixture: &Path, gdal_args: &[&str], extra: &[&str]) -> Value {
    let src = features(
        &serde_json::from_str(&std::fs::read_to_string(p.path("parks.geojson")).unwrap()).unwrap(),
    );
    let gdal = gdal_reading(fixture, gdal_args);
    let mut args = vec![fixture.to_str().unwrap(), "--layer", "industrial_parks"];
    args.extend_from_slice(extra);
    let report = p.import_json(&args);
    assert_eq!(
        report["features"].as_u64().unwrap() as usize,
        gdal.len(),
        "{report}"
    );
    assert_eq!(p.layer_count("industrial_parks") as usize, gdal.len());
    let served = p.exported("industrial_parks");
    assert_eq!(served.len(), gdal.len());
    for (i, ((sp, sg), (_, gg))) in served.iter().zip(&gdal).enumerate() {
        assert!(
            rel(area(sg), area(gg)) < 1e-4,
            "feature {i}: {} vs GDAL's {}",
            area(sg),
            area(gg)
        );
        // Same name as the source feature of the same area (DXF splits parts, so match by area).
        if let Some(name) = sp["name"].as_str() {
            let (props, g) = src
                .iter()
                .find(|(props, _)| props["name"] == name)
                .unwrap_or_else(|| panic!("name '{name}' is not in the source"));
            if gdal.len() == src.len() {
                assert!(
                    rel(area(sg), area(g)) < 1e-4,
                    "{name}: {} vs source {}",
                    area(sg),
                    area(g)
                );
                assert_eq!(sp["industry"], props["industry"], "{name}");
            }
        }
    }
    report
}

/// DESIGN's Gauss-Krüger zone 37 (EPSG:4525) positions of lon/lat points, by PROJ.
pub fn to_gk(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    use std::io::Write;
    let mut c = Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:4490", "-t_srs", "EPSG:4525", "-output_xy"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = pts.iter().map(|(x, y)| format!("{x} {y}\n")).collect();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap();
    out.lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|s| s.parse().unwrap()).collect();
            (v[0], v[1])
        })
        .collect()
}
