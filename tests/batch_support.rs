//! Fixtures of the batch tests (`check --each` and `POST /api/check/batch`): project sites
//! built by hand around the built-in plan's own features, written as a Shapefile with GBK
//! attributes by GDAL's `ogr2ogr`, and readers of the results that are not planmap's.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use planmap_tests::*;

use crate::import_support::ogr2ogr;

pub const PROTECTED: [&str; 5] = [
    "red_line",
    "farmland",
    "water_sources",
    "eco_corridors",
    "eco_barrier",
];

/// Across the county's eastern tip (112.3235977°E at 37.4582°N): partly outside.
pub const EDGE: (f64, f64, f64, f64) = (112.318, 37.455, 112.330, 37.461);
/// Wholly outside the county.
pub const OUTSIDE: (f64, f64, f64, f64) = (113.0, 37.40, 113.01, 37.41);
pub const BOWTIE: &str = r#"{"type":"Polygon","coordinates":[[[112.2,37.4],[112.21,37.41],[112.21,37.4],[112.2,37.41],[112.2,37.4]]]}"#;

pub type Box4 = (f64, f64, f64, f64);

pub fn rect(r: Box4) -> String {
    rect_geojson(r.0, r.1, r.2, r.3)
}

pub fn area(r: Box4) -> f64 {
    rect_area_m2(r.0, r.1, r.2, r.3)
}

pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// A layer's 中文名 from the manifest (the batch table's columns are named by it).
pub fn layer_name(id: &str) -> String {
    let plan: toml::Value =
        toml::from_str(&std::fs::read_to_string(data_dir().join("plan.toml")).unwrap()).unwrap();
    plan["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"].as_str() == Some(id))
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn park_name(id: &str) -> String {
    layer_json("industrial_parks")["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap()["properties"]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The six sites: inside the red line, on farmland only, in a park off every protected
/// layer, across the county line, a bow tie, outside the county — as (项目名称, 编号, geometry).
pub struct Sites {
    pub red: Box4,
    pub farm: Box4,
    pub park: Box4,
    pub park_name: String,
    pub list: Vec<(&'static str, &'static str, String)>,
}

impl Sites {
    pub fn new() -> Sites {
        let (red, _) = square_inside("red_line", 0.001, &[]);
        let (farm, _) = square_inside(
            "farmland",
            0.0002,
            &["red_line", "water_sources", "eco_corridors", "eco_barrier"],
        );
        let (park, park_id) = square_inside("industrial_parks", 0.001, &PROTECTED);
        let list = vec![
            ("生态红线内项目", "WS-001", rect(red)),
            ("农田上的仓储", "WS-002", rect(farm)),
            ("园区内厂房", "WS-003", rect(park)),
            ("跨县界道路", "WS-004", rect(EDGE)),
            ("自相交地块", "WS-005", BOWTIE.to_string()),
            ("县外项目", "WS-006", rect(OUTSIDE)),
        ];
        Sites {
            red,
            farm,
            park,
            park_name: park_name(&park_id),
            list,
        }
    }

    /// The sites as a GeoJSON FeatureCollection with their 项目名称 and 编号.
    pub fn geojson(&self) -> String {
        let features: Vec<String> = self
            .list
            .iter()
            .map(|(name, no, g)| {
                format!(r#"{{"type":"Feature","properties":{{"项目名称":"{name}","编号":"{no}"}},"geometry":{g}}}"#)
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    /// `dir/sites.shp` (with .dbf, .shx, .prj, .cpg), its attributes in GBK (checked).
    pub fn gbk_shapefile(&self, dir: &Path) -> PathBuf {
        let src = dir.join("sites.geojson");
        std::fs::write(&src, self.geojson()).unwrap();
        let shp = dir.join("sites.shp");
        ogr2ogr(&[
            "-f",
            "ESRI Shapefile",
            shp.to_str().unwrap(),
            src.to_str().unwrap(),
            "-lco",
            "ENCODING=CP936",
        ]);
        // The fixture really holds GBK text.
        let dbf = std::fs::read(dir.join("sites.dbf")).unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode("跨县界道路");
        assert!(dbf.windows(gbk.len()).any(|w| w == &*gbk), "DBF is not GBK");
        shp
    }
}

/// The rows of sheet `name` as text/number cells, header first.
pub fn sheet<R: std::io::Read + std::io::Seek>(wb: &mut Xlsx<R>, name: &str) -> Vec<Vec<Data>> {
    let range = wb.worksheet_range(name).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

pub fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

pub fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

/// The index of column `name` in a header row.
pub fn column(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
}
