//! `POST /api/check/batch` on an in-process server with a check history: the hand-built sites
//! of tests/batch.rs as a zipped GBK Shapefile, answered as XLSX (read back with calamine),
//! JSON, CSV, GeoJSON and the printable report, every checked site found in the history
//! under the batch's id; a zip of coordinate TXT files (one site a file, areas against the
//! closed-form Gauss-Krüger square); the NDJSON progress stream; bad uploads as 4xx naming
//! what is wrong.

mod batch_support;
mod import_support;
mod serve_support;

use std::io::{Cursor, Write};
use std::sync::OnceLock;

use batch_support::*;
use calamine::{Reader, Xlsx};
use planmap_server::AdminToken;
use planmap_tests::*;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::Response;
use serde_json::Value;
use serve_support::{client, header, serve, temp_dir, test_config};

const TOKEN: &str = "batch-api-test-token-0123456789";

/// One server of this binary, with a history and the keeper's token.
fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let db = temp_dir("batch-api").join("history.sqlite");
        let _ = std::fs::remove_file(&db);
        let mut config = test_config();
        config.history_db = Some(db);
        config.admin_token = Some(AdminToken::new(TOKEN).unwrap());
        serve(config)
    })
}

/// Posts `body` to `/api/check/batch{query}`: as a form's file part when `file` names it,
/// else raw.
fn post(query: &str, body: Vec<u8>, file: Option<&str>, accept: Option<&str>) -> Response {
    let mut r = client().post(format!("{}/api/check/batch{query}", base()));
    if let Some(a) = accept {
        r = r.header("Accept", a);
    }
    r = match file {
        Some(name) => {
            r.multipart(Form::new().part("file", Part::bytes(body).file_name(name.to_string())))
        }
        None => r.body(body),
    };
    r.send().expect("POST /api/check/batch")
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, bytes) in files {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn history(query: &str) -> Value {
    let r = client()
        .get(format!("{}/api/history{query}", base()))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

fn ok(r: Response) -> Response {
    assert_eq!(r.status(), 200, "{:?}", r.text());
    r
}

/// The table of a JSON answer: its rows as values, and a column's index by name.
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    fn of(table: &Value) -> Rows {
        let columns = table["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let rows = table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().clone())
            .collect();
        Rows { columns, rows }
    }
    fn at(&self, row: usize, name: &str) -> &Value {
        &self.rows[row][column(&self.columns, name)]
    }
}

#[test]
fn a_zipped_gbk_shapefile_is_checked_site_by_site_in_every_form() {
    let fixture = Sites::new();
    let dir = tempfile::tempdir().unwrap();
    let shp = fixture.gbk_shapefile(dir.path());
    let files: Vec<(String, Vec<u8>)> = ["shp", "shx", "dbf", "prj", "cpg"]
        .iter()
        .filter_map(|ext| {
            let p = shp.with_extension(ext);
            Some((format!("sites.{ext}"), std::fs::read(p).ok()?))
        })
        .collect();
    let upload = zip_of(&files);
    let expected = ["不通过", "不通过", "通过"];

    // XLSX, read back with calamine.
    let r = ok(post(
        "?format=xlsx",
        upload.clone(),
        Some("sites.zip"),
        None,
    ));
    assert!(header(&r, "content-type").contains("spreadsheetml"));
    assert!(header(&r, "content-disposition").contains("sites-results.xlsx"));
    let batch_id = header(&r, "planmap-batch-id");
    assert!(!batch_id.is_empty(), "no Planmap-Batch-Id");
    let bytes = r.bytes().unwrap().to_vec();
    let mut wb = Xlsx::new(Cursor::new(bytes)).expect("an XLSX calamine reads");
    let rows = sheet(&mut wb, "审查结果");
    let head: Vec<String> = rows[0].iter().map(text).collect();
    let col = |name: &str| column(&head, name);
    assert_eq!(rows.len(), 1 + fixture.list.len(), "one row a feature");
    let red_m2 = col(&format!("{}(m²)", layer_name("red_line")));
    let farm_m2 = col(&format!("{}(m²)", layer_name("farmland")));
    for (i, v) in expected.iter().enumerate() {
        assert_eq!(text(&rows[i + 1][col("结论")]), *v, "row {}", i + 1);
        assert_eq!(text(&rows[i + 1][col("项目名称")]), fixture.list[i].0);
    }
    let m2 = col("用地面积(m²)");
    assert!(rel(num(&rows[1][m2]), area(fixture.red)) < 1e-5);
    assert!(rel(num(&rows[1][red_m2]), area(fixture.red)) < 1e-5);
    assert!(rel(num(&rows[2][farm_m2]), area(fixture.farm)) < 1e-5);
    assert!(rel(num(&rows[3][m2]), area(fixture.park)) < 1e-5);
    assert!(text(&rows[3][col("所在园区")]).contains(fixture.park_name.as_str()));
    assert!(rel(num(&rows[4][m2]), area(EDGE)) < 1e-5);
    assert_eq!(text(&rows[5][col("结论")]), "无法审查");
    assert!(text(&rows[5][col("错误")]).contains("self-intersection"));
    assert!(text(&rows[6][col("错误")]).contains("outside"));

    // Every checked site is in the history under the batch's id, with the file's name and
    // the feature's number; the two that could not be checked are not.
    let recs = history(&format!("?batch={batch_id}"));
    let recs = recs["records"].as_array().unwrap();
    let mut got: Vec<(i64, String)> = recs
        .iter()
        .map(|r| {
            assert_eq!(r["batch"]["id"], batch_id.as_str());
            assert_eq!(r["batch"]["file"], "sites.zip");
            (
                r["batch"]["feature"].as_i64().unwrap(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), 4, "{got:?}");
    for (i, v) in expected.iter().enumerate() {
        assert_eq!(got[i], (i as i64 + 1, v.to_string()));
    }
    assert!(
        rel(
            recs.iter().find(|r| r["batch"]["feature"] == 1).unwrap()["site_area_m2"]
                .as_f64()
                .unwrap(),
            area(fixture.red)
        ) < 1e-5
    );

    // JSON with the sites' GeoJSON: the same rows, its own batch.
    let a: Value = ok(post(
        "?geometry=true",
        upload.clone(),
        Some("sites.zip"),
        None,
    ))
    .json()
    .unwrap();
    assert_ne!(a["batch_id"], batch_id.as_str());
    assert_eq!(a["file"], "sites.zip");
    assert_eq!(a["format"], "zip");
    let t = Rows::of(&a["table"]);
    assert_eq!(t.rows.len(), 6);
    assert_eq!(t.at(3, "编号"), "WS-004");
    assert_eq!(a["table"]["summary"]["errors"], 2);
    assert_eq!(a["table"]["summary"]["sites"], 6);
    let fs = a["geojson"]["features"].as_array().unwrap();
    assert_eq!(fs.len(), 6);
    assert_eq!(fs[0]["properties"]["结论"], "不通过");
    assert!(["Polygon", "MultiPolygon"].contains(&fs[0]["geometry"]["type"].as_str().unwrap()));
    assert!(fs[4]["geometry"].is_null() || fs[4]["properties"]["结论"] == "无法审查");

    // CSV: a byte-order mark, the same verdicts.
    let r = ok(post("?format=csv", upload.clone(), Some("sites.zip"), None));
    let csv_text = r.text().unwrap();
    assert!(csv_text.starts_with('\u{feff}'));
    let mut rd = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let v = column(&head, "结论");
    let verdicts: Vec<String> = rd.records().map(|r| r.unwrap()[v].to_string()).collect();
    assert_eq!(&verdicts[..3], &expected);

    // GeoJSON: the sites, a null geometry for none.
    let fc: Value = ok(post(
        "?format=geojson",
        upload.clone(),
        Some("sites.zip"),
        None,
    ))
    .json()
    .unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 6);

    // The printable report: the summary's counts and a row a site.
    let r = ok(post("?format=report", upload, Some("sites.zip"), None));
    assert!(header(&r, "content-type").starts_with("text/html"));
    let html = r.text().unwrap();
    assert!(html.contains("批量选址合规性审查报告"));
    assert!(html.contains("id=\"sites\">6<"), "summary count");
    assert!(html.contains("id=\"errors\">2<"));
    assert!(html.contains("<td>跨县界道路</td>"));
    assert!(html.contains("map-img") || html.contains("map not rendered"));
}

fn coordinate_txt(x0: f64, y0: f64, name: &str) -> Vec<u8> {
    coordinate_txt_square(x0, y0, name).into_bytes()
}

#[test]
fn a_zip_of_coordinate_txt_files_is_one_site_a_file() {
    let files = vec![
        (
            "a.txt".to_string(),
            coordinate_txt(4_144_603.0, 37_588_409.0, "甲"),
        ),
        ("b.txt".to_string(), b"not a coordinate file".to_vec()),
        (
            "c.txt".to_string(),
            coordinate_txt(4_146_603.0, 37_590_409.0, "乙"),
        ),
    ];
    let a: Value = ok(post("", zip_of(&files), Some("parcels.zip"), None))
        .json()
        .unwrap();
    let t = Rows::of(&a["table"]);
    assert_eq!(t.rows.len(), 3);
    let names: Vec<&str> = (0..3)
        .map(|i| t.at(i, "文件名").as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.txt", "c.txt"]);
    assert_eq!(t.at(1, "结论"), "无法审查");
    assert!(!t.at(1, "错误").as_str().unwrap().is_empty());
    // The 200 m squares' ellipsoidal area: the plane's 40,000 m² over the Gauss-Krüger scale
    // factor squared, k = 1 + y²/(2R²) with y the distance from the central meridian (111°E).
    for (i, y) in [(0, 88_409.0 + 100.0), (2, 90_409.0 + 100.0)] {
        let r = 6_371_000.0_f64;
        let k = 1.0 + y * y / (2.0 * r * r);
        let expected = 40_000.0 / (k * k);
        let got = t.at(i, "用地面积(m²)").as_f64().unwrap();
        assert!(rel(got, expected) < 2e-4, "{got} vs {expected}");
    }
    assert_eq!(a["table"]["summary"]["errors"], 1);
}

#[test]
fn progress_streams_ndjson_lines_then_the_answer() {
    let fixture = Sites::new();
    let body = fixture.geojson().into_bytes();
    for (query, accept) in [
        ("", Some("application/x-ndjson")),
        ("?progress=ndjson", None),
    ] {
        let r = ok(post(query, body.clone(), None, accept));
        assert_eq!(header(&r, "content-type"), "application/x-ndjson");
        let text = r.text().unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (last, progress) = lines.split_last().unwrap();
        assert_eq!(progress[0]["done"], 0);
        let done: Vec<u64> = progress
            .iter()
            .map(|p| {
                assert_eq!(p["total"], 6);
                p["done"].as_u64().unwrap()
            })
            .collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
        assert_eq!(*done.last().unwrap(), 6);
        assert_eq!(last["table"]["rows"].as_array().unwrap().len(), 6);
        assert!(last["batch_id"].is_string());
    }
}

#[test]
fn bad_uploads_are_4xx_naming_what_is_wrong() {
    let error = |r: Response, status: u16| -> String {
        assert_eq!(r.status(), status);
        let v: Value = r.json().unwrap();
        assert_eq!(v["status"], status);
        v["error"].as_str().unwrap().to_string()
    };
    let e = error(post("?input=zip", b"not a zip".to_vec(), None, None), 422);
    assert!(e.contains("zip"), "{e}");
    let e = error(
        post(
            "",
            br#"{"type":"FeatureCollection","features":[]}"#.to_vec(),
            None,
            None,
        ),
        422,
    );
    assert!(e.contains("no features"), "{e}");
    let r = post("?format=xlsx&progress=ndjson", b"{}".to_vec(), None, None);
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["parameter"], "progress");
    let folder = zip_of(&[(
        "a/b.txt".into(),
        coordinate_txt(4_144_603.0, 37_588_409.0, "甲"),
    )]);
    let e = error(post("", folder, Some("x.zip"), None), 422);
    assert!(e.contains("folder"), "{e}");
    let e = error(post("?format=pdf", b"{}".to_vec(), None, None), 400);
    assert!(e.contains("format"), "{e}");
}
