//! Helpers of the server tests: one real server (the `planmap-server` router on a free port of
//! 127.0.0.1, over the built-in plan folder) per test binary, an HTTP client, raw requests, and
//! facts read straight from the layer files with the `geojson` crate (not through planmap).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use geo::{BoundingRect, Geometry, Rect};
use planmap_tests::{data_dir, root};
use serde_json::Value;

/// The plan folder under test: the built-in one (`PLANMAP_TEST_DATA` may name another).
pub fn plan_dir() -> PathBuf {
    std::env::var_os("PLANMAP_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(data_dir)
}

/// The web front end the server is given: the built `web/dist` when there is one.
pub fn web_dir() -> PathBuf {
    let dist = root().join("web/dist");
    if dist.join("index.html").exists() {
        dist
    } else {
        root().join("web")
    }
}

/// The settings of the shared server: the plan under test, the built web front end, and the
/// built `planmap` binary as the reader of uploaded files (the server's default, the running
/// executable, is this test binary here).
pub fn test_config() -> planmap_server::Config {
    let mut config = planmap_server::Config::new(plan_dir());
    config.web_dir = Some(web_dir());
    config.reader = reader();
    config
}

/// The sandbox of an in-process test server: workers of the built `planmap` binary.
pub fn reader() -> planmap_io::sandbox::Sandbox {
    let settings = planmap_io::sandbox::SandboxSettings::new(planmap_tests::planmap_bin());
    planmap_io::sandbox::Sandbox::new(settings)
}

/// Serves `config` on a free port of 127.0.0.1 in a thread of its own (for the life of the
/// test binary); returns `http://127.0.0.1:PORT`.
pub fn serve(config: planmap_server::Config) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let state = planmap_server::AppState::load(config).expect("load the plan");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr").port())
                .expect("send port");
            planmap_server::serve_on(listener, state)
                .await
                .expect("serve");
        });
    });
    let port = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("server started");
    format!("http://127.0.0.1:{port}")
}

/// `http://127.0.0.1:PORT` of the server shared by the tests of this binary.
pub fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| serve(test_config()))
}

pub fn url(path: &str) -> String {
    format!("{}{path}", base())
}

/// A client that neither decompresses nor follows redirects: the tests see what was sent.
pub fn client() -> &'static reqwest::blocking::Client {
    static C: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    C.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(300))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    })
}

pub fn get(path: &str) -> reqwest::blocking::Response {
    client().get(url(path)).send().expect("GET")
}

/// GETs JSON, asserting 200 and the content type.
pub fn get_json(path: &str) -> Value {
    let r = get(path);
    assert_eq!(r.status(), 200, "GET {path}");
    let ct = header(&r, "content-type");
    assert!(ct.contains("json"), "GET {path}: content-type {ct}");
    r.json().expect("JSON body")
}

pub fn header(r: &reqwest::blocking::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// A raw HTTP/1.1 exchange: `head` is the request line and headers (without the blank line);
/// returns the status and the body. Writing may fail once the server has answered early (a
/// refused oversize body): the answer is read all the same.
pub fn raw(head: &str, body: &[u8]) -> (u16, String) {
    let addr = base().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = head.replace('\n', "\r\n");
    if !head.to_ascii_lowercase().contains("\nhost:") {
        req.push_str(&format!("\r\nHost: {addr}"));
    }
    req.push_str(&format!(
        "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = s.write_all(req.as_bytes());
    for chunk in body.chunks(1 << 16) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in answer to {head:?}: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The plan's layers in manifest order, with their files, read from `plan.toml`.
pub fn manifest_layers() -> Vec<(String, PathBuf)> {
    let text = std::fs::read_to_string(plan_dir().join("plan.toml")).expect("plan.toml");
    let v: toml::Value = toml::from_str(&text).expect("TOML");
    v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            let id = l["id"].as_str().unwrap().to_string();
            let file = l
                .get("file")
                .and_then(|f| f.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("layers/{id}.geojson"));
            (id, plan_dir().join(file))
        })
        .collect()
}

/// One feature of a layer file: its id, properties and geometry.
pub struct FileFeature {
    pub id: String,
    pub properties: serde_json::Map<String, Value>,
    pub geometry: Geometry<f64>,
}

/// The features of a layer file, parsed by the `geojson` crate (cached per test binary).
pub fn file_features(layer: &str) -> &'static [FileFeature] {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, &'static [FileFeature]>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(f) = cache.lock().unwrap().get(layer) {
        return f;
    }
    let path = manifest_layers()
        .into_iter()
        .find(|(id, _)| id == layer)
        .unwrap_or_else(|| panic!("no layer {layer} in plan.toml"))
        .1;
    let text = std::fs::read_to_string(&path).expect("layer file");
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .expect("GeoJSON")
        .try_into()
        .expect("collection");
    let feats: Vec<FileFeature> = fc
        .features
        .into_iter()
        .map(|f| FileFeature {
            id: match &f.id {
                Some(geojson::feature::Id::String(s)) => s.clone(),
                Some(geojson::feature::Id::Number(n)) => n.to_string(),
                None => String::new(),
            },
            properties: f.properties.clone().unwrap_or_default(),
            geometry: f
                .geometry
                .expect("geometry")
                .try_into()
                .expect("geo geometry"),
        })
        .collect();
    let leaked: &'static [FileFeature] = Box::leak(feats.into_boxed_slice());
    cache.lock().unwrap().insert(layer.to_string(), leaked);
    leaked
}

/// The bounding box of every coordinate of a layer file.
pub fn file_bbox(layer: &str) -> Rect<f64> {
    file_features(layer)
        .iter()
        .filter_map(|f| f.geometry.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
        .expect("a non-empty layer")
}

/// Runs a GDAL program, failing the test (never skipping) when GDAL is not installed.
pub fn gdal(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not run ({e}); install gdal-bin (make deps does)")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `Feature Count: N` lines of `ogrinfo -so -al`, by layer name.
pub fn ogr_counts(ogrinfo_output: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut layer = None;
    for line in ogrinfo_output.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            layer = Some(name.trim().to_string());
        } else if let (Some(n), Some(l)) = (line.strip_prefix("Feature Count: "), &layer) {
            out.insert(l.clone(), n.trim().parse().expect("count"));
        }
    }
    out
}

/// A temp folder for files the tests write ([`planmap_tests::scratch`]).
pub fn temp_dir(name: &str) -> PathBuf {
    planmap_tests::scratch(name)
}
