//! `planmap check --each`: a Shapefile of project sites with GBK attributes, built here with
//! GDAL's `ogr2ogr` around the built-in plan's own features, checked feature by feature; the
//! XLSX is read back with calamine (a second library, not the writer) and each row is held
//! to independent figures: closed-form rectangle areas, the layers' files read directly, and
//! geo's own overlay for the share inside the county.

mod import_support;

use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use geo::{BooleanOps, GeodesicArea, MultiPolygon};
use import_support::ogr2ogr;
use planmap_tests::*;
use serde_json::Value;

const PROTECTED: [&str; 5] = [
    "red_line",
    "farmland",
    "water_sources",
    "eco_corridors",
    "eco_barrier",
];

/// Across the county's eastern tip (112.3235977°E at 37.4582°N): partly outside.
const EDGE: (f64, f64, f64, f64) = (112.318, 37.455, 112.330, 37.461);
/// Wholly outside the county.
const OUTSIDE: (f64, f64, f64, f64) = (113.0, 37.40, 113.01, 37.41);
const BOWTIE: &str = r#"{"type":"Polygon","coordinates":[[[112.2,37.4],[112.21,37.41],[112.21,37.4],[112.2,37.41],[112.2,37.4]]]}"#;

fn rect(r: (f64, f64, f64, f64)) -> String {
    rect_geojson(r.0, r.1, r.2, r.3)
}

fn area(r: (f64, f64, f64, f64)) -> f64 {
    rect_area_m2(r.0, r.1, r.2, r.3)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// A layer's 中文名 from the manifest (the batch table's columns are named by it).
fn layer_name(id: &str) -> String {
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

/// The rows of sheet `name` as text/number cells, header first.
fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("an XLSX calamine reads");
    let range = wb.worksheet_range(name).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn a_gbk_shapefile_of_sites_is_checked_feature_by_feature() {
    let (red, _) = square_inside("red_line", 0.001, &[]);
    let (farm, _) = square_inside(
        "farmland",
        0.0002,
        &["red_line", "water_sources", "eco_corridors", "eco_barrier"],
    );
    let (park, park_id) = square_inside("industrial_parks", 0.001, &PROTECTED);
    let park_name = park_name(&park_id);
    let sites = [
        ("生态红线内项目", "WS-001", rect(red)),
        ("农田上的仓储", "WS-002", rect(farm)),
        ("园区内厂房", "WS-003", rect(park)),
        ("跨县界道路", "WS-004", rect(EDGE)),
        ("自相交地块", "WS-005", BOWTIE.to_string()),
        ("县外项目", "WS-006", rect(OUTSIDE)),
    ];
    let features: Vec<String> = sites
        .iter()
        .map(|(name, no, g)| {
            format!(r#"{{"type":"Feature","properties":{{"项目名称":"{name}","编号":"{no}"}},"geometry":{g}}}"#)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sites.geojson");
    std::fs::write(
        &src,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let shp = dir.path().join("sites.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
        "-lco",
        "ENCODING=CP936",
    ]);
    // The fixture really holds GBK text.
    let dbf = std::fs::read(dir.path().join("sites.dbf")).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("跨县界道路");
    assert!(dbf.windows(gbk.len()).any(|w| w == &*gbk), "DBF is not GBK");

    let xlsx = dir.path().join("results.xlsx");
    let out = planmap(&[
        "check",
        "--each",
        shp.to_str().unwrap(),
        "-o",
        xlsx.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let rows = sheet(&xlsx, "审查结果");
    let head: Vec<String> = rows[0].iter().map(text).collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
    };
    assert_eq!(
        rows.len(),
        1 + sites.len(),
        "one row a feature, none dropped"
    );
    let red_m2 = col(&format!("{}(m²)", layer_name("red_line")));
    let red_share = col(&format!("{}占比", layer_name("red_line")));
    let farm_m2 = col(&format!("{}(m²)", layer_name("farmland")));
    let (verdict, error, m2, ha, mu, county) = (
        col("结论"),
        col("错误"),
        col("用地面积(m²)"),
        col("用地面积(公顷)"),
        col("用地面积(亩)"),
        col("县域内占比"),
    );
    let (name, no) = (col("项目名称"), col("编号"));
    for (row, (n, id, _)) in rows[1..].iter().zip(&sites) {
        // The attributes read back in Chinese, in file order.
        assert_eq!(text(&row[name]), *n);
        assert_eq!(text(&row[no]), *id);
    }
    let row = |i: usize| &rows[i + 1];

    // Inside the red line: 不通过, the whole square on it.
    let r = row(0);
    assert_eq!(text(&r[verdict]), "不通过");
    assert!(rel(num(&r[m2]), area(red)) < 1e-5, "{r:?}");
    assert!(rel(num(&r[red_m2]), area(red)) < 1e-5, "{r:?}");
    assert!((num(&r[red_share]) - 1.0).abs() < 1e-6);
    assert!((num(&r[ha]) - num(&r[m2]) / 10_000.0).abs() < 1e-9);
    assert!((num(&r[mu]) - num(&r[m2]) * 15.0 / 10_000.0).abs() < 1e-6);

    // On farmland only: 不通过, the farmland overlap is the square, the red line's is 0.
    let r = row(1);
    assert_eq!(text(&r[verdict]), "不通过");
    assert!(rel(num(&r[farm_m2]), area(farm)) < 1e-5, "{r:?}");
    assert_eq!(num(&r[red_m2]), 0.0);

    // In a park, off every protected layer: 通过, the park named, a red-line distance.
    let r = row(2);
    assert_eq!(text(&r[verdict]), "通过", "{r:?}");
    assert!(rel(num(&r[m2]), area(park)) < 1e-5);
    assert!(text(&r[col("所在园区")]).contains(&park_name), "{r:?}");
    assert!(!text(&r[col("所在乡镇")]).is_empty());
    assert!(num(&r[col("最近生态保护红线(m)")]) > 0.0);
    for (i, h) in head.iter().enumerate() {
        if h.ends_with("(m²)") && !h.starts_with("用地面积") {
            assert_eq!(num(&r[i]), 0.0, "{h}");
        }
    }

    // Across the county line: checked, its whole area measured, the share inside as geo's
    // overlay of the square with the county's own file gives it.
    let r = row(3);
    assert!(["不通过", "需论证", "通过"].contains(&text(&r[verdict]).as_str()));
    assert!(rel(num(&r[m2]), area(EDGE)) < 1e-5);
    let county_mp: MultiPolygon<f64> =
        polygons("county")
            .into_iter()
            .map(|(_, p)| p)
            .fold(MultiPolygon(vec![]), |mut a, p| {
                a.0.extend(p.0);
                a
            });
    let sq = MultiPolygon(vec![rect_poly(EDGE)]);
    let inside = county_mp.intersection(&sq).geodesic_area_unsigned();
    let expected = inside / area(EDGE);
    assert!(expected > 0.05 && expected < 0.95, "{expected}");
    assert!(
        (num(&r[county]) - expected).abs() < 1e-4,
        "{} vs {expected}",
        num(&r[county])
    );

    // The bow tie and the site outside the county: rows naming their errors, no figures.
    let r = row(4);
    assert_eq!(text(&r[verdict]), "无法审查");
    assert!(text(&r[error]).contains("self-intersection"), "{r:?}");
    assert_eq!(r[m2], Data::Empty);
    let r = row(5);
    assert_eq!(text(&r[verdict]), "无法审查");
    assert!(text(&r[error]).contains("outside"), "{r:?}");

    // The summary sheet: counts per verdict and the errors, totals per layer.
    let summary = sheet(&xlsx, "汇总");
    let count = |label: &str| {
        summary
            .iter()
            .find(|r| text(&r[0]) == label)
            .map(|r| num(&r[1]))
            .unwrap_or_else(|| panic!("no {label} in the summary"))
    };
    let verdicts: Vec<String> = rows[1..].iter().map(|r| text(&r[verdict])).collect();
    for v in ["不通过", "需论证", "通过", "无法审查"] {
        let n = verdicts.iter().filter(|x| *x == v).count();
        assert_eq!(count(v), n as f64, "{v}");
    }
    assert_eq!(count("要素总数"), 6.0);
    assert_eq!(count("无法审查"), 2.0);
    let red_total = summary
        .iter()
        .find(|r| text(&r[0]) == layer_name("red_line"))
        .unwrap();
    let red_sum: f64 = rows[1..]
        .iter()
        .filter_map(|r| match &r[red_m2] {
            Data::Float(f) => Some(*f),
            _ => None,
        })
        .sum();
    assert!(rel(num(&red_total[2]), red_sum) < 1e-12);

    // The same batch as CSV (BOM, the same verdicts) and as GeoJSON (the sites with them).
    let out = planmap(&["check", "--each", shp.to_str().unwrap(), "--csv"]);
    assert!(out.status.success());
    assert!(out.stdout.starts_with("\u{feff}".as_bytes()));
    let csv_text = String::from_utf8(out.stdout).unwrap();
    let mut rd = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let csv_verdicts: Vec<String> = rd
        .records()
        .map(|r| r.unwrap()[verdict].to_string())
        .collect();
    assert_eq!(csv_verdicts, verdicts);
    let out = planmap(&["check", "--each", shp.to_str().unwrap(), "--geojson"]);
    let fc: Value = json_out(&out);
    let fs = fc["features"].as_array().unwrap();
    assert_eq!(fs.len(), 6);
    assert_eq!(fs[0]["properties"]["结论"], "不通过");
    assert_eq!(fs[3]["properties"]["项目名称"], "跨县界道路");
}

#[test]
fn an_unreadable_batch_file_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.shp");
    std::fs::write(&bad, b"not a shapefile").unwrap();
    let out = planmap(&["check", "--each", bad.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("broken.shp"), "{err}");
}

/// A point among the sites: its row says it is not a polygon, the polygon beside it is
/// still checked, and the batch exits 0 (JSON form: the same table).
#[test]
fn a_point_gets_a_row_naming_it_not_a_polygon() {
    let (park, _) = square_inside("industrial_parks", 0.001, &PROTECTED);
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[
        {{"type":"Feature","properties":{{"编号":"P1"}},"geometry":{{"type":"Point","coordinates":[112.1,37.33]}}}},
        {{"type":"Feature","properties":{{"编号":"P2"}},"geometry":{}}}]}}"#,
        rect(park)
    );
    let path = temp_file("batch-point.geojson", &fc);
    let out = planmap(&["check", "--each", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let t = json_out(&out);
    let cols: Vec<&str> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let at = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    let rows = t["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][at("结论")], "无法审查");
    assert!(rows[0][at("错误")]
        .as_str()
        .unwrap()
        .contains("not a polygon"));
    assert_eq!(rows[0][at("编号")], "P1");
    assert_eq!(rows[1][at("结论")], "通过");
    assert!(rel(rows[1][at("用地面积(m²)")].as_f64().unwrap(), area(park)) < 1e-5);
    assert_eq!(t["summary"]["errors"], 1);
    assert_eq!(t["summary"]["sites"], 2);
}

fn park_name(id: &str) -> String {
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
