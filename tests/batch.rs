//! `planmap check --each`: a Shapefile of project sites with GBK attributes, built here with
//! GDAL's `ogr2ogr` around the built-in plan's own features, checked feature by feature; the
//! XLSX is read back with calamine (a second library, not the writer) and each row is held
//! to independent figures: closed-form rectangle areas, the layers' files read directly, and
//! geo's own overlay for the share inside the county.

mod batch_support;
mod import_support;

use batch_support::*;
use calamine::{open_workbook, Data, Xlsx};
use geo::{BooleanOps, GeodesicArea, MultiPolygon};
use planmap_tests::*;
use serde_json::Value;

#[test]
fn a_gbk_shapefile_of_sites_is_checked_feature_by_feature() {
    let fixture = Sites::new();
    let (red, farm, park) = (fixture.red, fixture.farm, fixture.park);
    let (park_name, sites) = (&fixture.park_name, &fixture.list);
    let dir = tempfile::tempdir().unwrap();
    let shp = fixture.gbk_shapefile(dir.path());

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

    let mut wb: Xlsx<_> = open_workbook(&xlsx).expect("an XLSX calamine reads");
    let rows = sheet(&mut wb, "审查结果");
    let head: Vec<String> = rows[0].iter().map(text).collect();
    let col = |name: &str| column(&head, name);
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
    for (row, (n, id, _)) in rows[1..].iter().zip(sites) {
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
    assert!(
        text(&r[col("所在园区")]).contains(park_name.as_str()),
        "{r:?}"
    );
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
    let summary = sheet(&mut wb, "汇总");
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
