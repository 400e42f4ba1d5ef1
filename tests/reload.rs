//! A running `planmap serve` and imports: the server picks a new layer version up without a
//! restart, and `POST /api/check` takes site files (coordinate TXT, KML) as well as GeoJSON.
//! Each test serves its own copy of data/wenshui.

mod import_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use import_support::{copy_dir, to_gk};
use planmap_tests::*;
use serde_json::Value;

/// The data keeper's token the servers here are started with (reload needs it).
const TOKEN: &str = "reload-test-token-0123456789";

/// `planmap serve` on a copy of the plan, killed on drop.
struct Server {
    _served: ServeProcess,
    base: String,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("plan");
        copy_dir(&data_dir(), &data);
        let served = ServeProcess::start(&data, &[], &[("PLANMAP_ADMIN_TOKEN", TOKEN)]);
        Server {
            base: format!("{}/", served.url),
            _served: served,
            data,
            _dir: dir,
        }
    }
    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap()
    }
    fn get(&self, path: &str) -> Value {
        Self::client()
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
    fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = Self::client()
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .bearer_auth(TOKEN)
            .body(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap())
    }
    fn features(&self, layer: &str) -> u64 {
        let v = self.get("api/layers");
        let l = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == layer)
            .unwrap()
            .clone();
        l["features"].as_u64().unwrap()
    }
}

#[test]
fn a_running_server_serves_an_import_without_a_restart() {
    let s = Server::start();
    assert_eq!(s.features("industrial_parks"), 4);
    let before = s.get("api/layers")["data_version"].clone();
    let (x0, y0, x1, y1) = (112.15, 37.45, 112.16, 37.46);
    let site = temp_file("one_park.geojson", &rect_geojson(x0, y0, x1, y1));
    let o = Command::new(planmap_bin())
        .arg("--data")
        .arg(&s.data)
        .args([
            "import",
            site.to_str().unwrap(),
            "--layer",
            "industrial_parks",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The folder watch reloads within seconds.
    let start = Instant::now();
    while s.features("industrial_parks") != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "import not picked up"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let layers = s.get("api/layers");
    assert_ne!(layers["data_version"], before);
    let parks = layers["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "industrial_parks")
        .unwrap()
        .clone();
    let want = rect_area_m2(x0, y0, x1, y1);
    assert!(
        (parks["area_m2"].as_f64().unwrap() - want).abs() / want < 1e-4,
        "{parks}"
    );
    // An explicit reload finds nothing new.
    let (code, r) = s.post("api/admin/reload", "application/json", vec![]);
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["changed"], false);
    assert_eq!(r["layers"]["industrial_parks"]["features"], 1);
    // A site on the new park is located in it.
    let (code, c) = s.post(
        "api/check",
        "application/geo+json",
        rect_geojson(112.152, 37.452, 112.153, 37.453).into_bytes(),
    );
    assert_eq!(code, 200, "{c}");
    assert_eq!(
        c["locations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["layer"] == "industrial_parks")
            .count(),
        1,
        "{c}"
    );
}

/// The square [112.0975, 112.0995] × [37.385, 37.3866], crossing red_line-011, as a GBK
/// coordinate TXT in zone 37 (positions by PROJ through `gdaltransform`) and as KML.
fn site_files() -> (String, Vec<u8>, String) {
    let ring = [
        (112.0975, 37.3850),
        (112.0995, 37.3850),
        (112.0995, 37.3866),
        (112.0975, 37.3866),
        (112.0975, 37.3850),
    ];
    let gj = format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        ring.iter()
            .map(|(x, y)| format!("[{x},{y}]"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut txt = String::from("[属性描述]\r\n坐标系=2000国家大地坐标系\r\n带号=37\r\n[地块坐标]\r\n5,,1,上传地块,面,,,,@\r\n");
    for (i, (e, n)) in to_gk(&ring).iter().enumerate() {
        txt.push_str(&format!("J{},1,{n:.3},{e:.3}\r\n", i % 4 + 1));
    }
    let kml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>上传地块</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#,
        ring.iter()
            .map(|(x, y)| format!("{x},{y},0"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    (gj, encoding_rs::GBK.encode(&txt).0.into_owned(), kml)
}

#[test]
fn api_check_takes_site_files() {
    let s = Server::start();
    let (gj, txt, kml) = site_files();
    let (code, a) = s.post("api/check", "application/geo+json", gj.into_bytes());
    assert_eq!(code, 200, "{a}");
    assert_eq!(a["verdict"], "不通过");
    let area = a["site_area_m2"].as_f64().unwrap();
    for (ct, body, format) in [
        ("text/plain", txt.clone(), "txt"),
        ("application/octet-stream", txt, "txt"),
        (
            "application/vnd.google-earth.kml+xml",
            kml.into_bytes(),
            "kml",
        ),
    ] {
        let (code, b) = s.post("api/check", ct, body);
        assert_eq!(code, 200, "{ct}: {b}");
        assert_eq!(b["verdict"], a["verdict"], "{ct}");
        assert_eq!(b["input"]["format"], format, "{b}");
        assert!(
            (b["site_area_m2"].as_f64().unwrap() - area).abs() / area < 1e-4,
            "{ct}: {b}"
        );
        let red = |r: &Value| {
            r["overlaps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["layer"] == "red_line")
                .unwrap()["area_m2"]
                .as_f64()
                .unwrap()
        };
        assert!((red(&b) - red(&a)).abs() / red(&a) < 1e-4, "{ct}");
    }
    // A file that is none of them is a 422 naming the problem, not a crash.
    let (code, e) = s.post(
        "api/check?input=txt",
        "text/plain",
        b"[\xe5\x9c\xb0\xe5\x9d\x97\xe5\x9d\x90\xe6\xa0\x87]\nJ1,1,x,y\n".to_vec(),
    );
    assert_eq!(code, 422, "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
    let (code, e) = s.post("api/check?crs=mars", "application/json", b"{}".to_vec());
    assert_eq!(code, 400, "{e}");
}

#[test]
fn api_check_takes_site_files_sent_as_a_form() {
    let s = Server::start();
    let (gj, txt, kml) = site_files();
    let (code, a) = s.post("api/check", "application/geo+json", gj.into_bytes());
    assert_eq!(code, 200, "{a}");
    let area = a["site_area_m2"].as_f64().unwrap();
    // reqwest's multipart writer, as a browser's form would send: a text field, then the file.
    for (file_name, bytes, format) in [
        ("site.txt", txt, "txt"),
        ("地块.kml", kml.into_bytes(), "kml"),
    ] {
        let form = reqwest::blocking::multipart::Form::new()
            .text("project", "上传测试")
            .part(
                "file",
                reqwest::blocking::multipart::Part::bytes(bytes).file_name(file_name),
            );
        let r = Server::client()
            .post(format!("{}api/check", s.base))
            .multipart(form)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{file_name}");
        let b: Value = r.json().unwrap();
        assert_eq!(b["input"]["format"], format, "{b}");
        assert_eq!(b["verdict"], a["verdict"]);
        assert!(
            (b["site_area_m2"].as_f64().unwrap() - area).abs() / area < 1e-4,
            "{b}"
        );
    }
    // A form without a file is a 400 that says what to send.
    let form = reqwest::blocking::multipart::Form::new().text("project", "x");
    let r = Server::client()
        .post(format!("{}api/check", s.base))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().unwrap();
    assert!(e["error"].as_str().unwrap().contains("'file'"), "{e}");
}
