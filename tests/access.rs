//! Who may do what: reads are public; the data keeper's endpoints need the bearer token of
//! the server's settings (401 without credentials, 403 with wrong ones, disabled when the
//! server has none).

mod import_support;
mod serve_support;

use std::sync::OnceLock;

use planmap_server::AdminToken;
use planmap_tests::{rect_area_m2, rect_geojson};
use serve_support::*;

const TOKEN: &str = "access-test-token-0123456789";

/// A server of this binary with the token configured (the shared `base()` has none).
fn guarded() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut config = test_config();
        config.admin_token = Some(AdminToken::new(TOKEN).unwrap());
        serve(config)
    })
}

fn reload(base: &str, auth: Option<&str>) -> reqwest::blocking::Response {
    let mut r = client().post(format!("{base}/api/admin/reload"));
    if let Some(a) = auth {
        r = r.header("Authorization", a);
    }
    r.send().expect("POST reload")
}

fn error_of(r: reqwest::blocking::Response) -> (u16, serde_json::Value) {
    let code = r.status().as_u16();
    let ct = header(&r, "content-type");
    assert!(ct.contains("json"), "content-type {ct}");
    (code, r.json().expect("a JSON body"))
}

#[test]
fn without_credentials_the_answer_is_401_with_a_bearer_challenge() {
    for auth in [
        None,
        Some("Basic YWRtaW46YWRtaW4="),
        Some("Bearer"),
        Some(TOKEN),
    ] {
        let r = reload(guarded(), auth);
        assert_eq!(
            header(&r, "www-authenticate"),
            "Bearer realm=\"planmap\"",
            "{auth:?}"
        );
        let (code, body) = error_of(r);
        assert_eq!(code, 401, "{auth:?}: {body}");
        assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    }
}

#[test]
fn a_wrong_token_is_403_whatever_its_length() {
    let near = &TOKEN[..TOKEN.len() - 1];
    for given in [near, "x", &format!("{TOKEN}0"), &"a".repeat(4096)] {
        let r = reload(guarded(), Some(&format!("Bearer {given}")));
        assert_eq!(header(&r, "www-authenticate"), "");
        let (code, body) = error_of(r);
        assert_eq!(code, 403, "{body}");
    }
}

#[test]
fn the_right_token_reloads() {
    let (code, body) = error_of(reload(guarded(), Some(&format!("Bearer {TOKEN}"))));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["reloaded"], true);
    assert_eq!(body["changed"], false, "nothing changed on disk");
}

#[test]
fn with_no_token_configured_the_keeper_endpoints_are_disabled() {
    let (code, body) = error_of(reload(base(), Some(&format!("Bearer {TOKEN}"))));
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["reason"], "disabled");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("PLANMAP_ADMIN_TOKEN"),
        "{body}"
    );
}

#[test]
fn reads_stay_public_on_a_guarded_server() {
    for path in [
        "/api/plan",
        "/api/layers",
        "/api/layers/red_line.geojson",
        "/ogc/collections",
    ] {
        let r = client().get(format!("{}{path}", guarded())).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

/// A guarded server on its own copy of the plan folder (imports write into it).
struct Writable {
    base: String,
    data: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn writable() -> Writable {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("plan");
    import_support::copy_dir(&plan_dir(), &data);
    let mut config = planmap_server::Config::new(&data);
    config.web_dir = Some(web_dir());
    config.reader = reader();
    config.admin_token = Some(AdminToken::new(TOKEN).unwrap());
    Writable {
        base: serve(config),
        data,
        _dir: dir,
    }
}

fn put_layer(
    base: &str,
    layer: &str,
    auth: Option<&str>,
    body: String,
) -> reqwest::blocking::Response {
    let mut r = client()
        .put(format!("{base}/api/admin/layers/{layer}"))
        .header("Content-Type", "application/geo+json")
        .body(body);
    if let Some(a) = auth {
        r = r.header("Authorization", a);
    }
    r.send().expect("PUT layer")
}

fn layer_entry(base: &str, id: &str) -> serde_json::Value {
    let v: serde_json::Value = client()
        .get(format!("{base}/api/layers"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap()
        .clone()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn the_keeper_replaces_a_layer_over_http_and_it_is_served_at_once() {
    let w = writable();
    let (x0, y0, x1, y1) = (112.15, 37.45, 112.16, 37.46);
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"新园区"}},"geometry":{}}}]}}"#,
        rect_geojson(x0, y0, x1, y1)
    );
    let before_files = files_in(&w.data.join("layers"));
    // Refused without the token and with a wrong one: nothing written.
    let r = put_layer(&w.base, "industrial_parks", None, fc.clone());
    assert_eq!(r.status(), 401);
    let r = put_layer(
        &w.base,
        "industrial_parks",
        Some("Bearer not-the-token-000000"),
        fc.clone(),
    );
    assert_eq!(r.status(), 403);
    assert_eq!(files_in(&w.data.join("layers")), before_files);
    assert_eq!(layer_entry(&w.base, "industrial_parks")["features"], 4);

    let r = put_layer(
        &w.base,
        "industrial_parks",
        Some(&format!("Bearer {TOKEN}")),
        fc,
    );
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["features"], 1, "{v}");
    let want = rect_area_m2(x0, y0, x1, y1);
    assert!(
        (v["area_m2"].as_f64().unwrap() - want).abs() / want < 1e-6,
        "{v} vs {want}"
    );
    assert!(
        !v["file"].as_str().unwrap().contains('/'),
        "no server path leaks: {v}"
    );
    let l = layer_entry(&w.base, "industrial_parks");
    assert_eq!(l["features"], 1, "served without a restart: {l}");
    assert!(
        (l["area_m2"].as_f64().unwrap() - want).abs() / want < 1e-6,
        "{l}"
    );
}

#[test]
fn an_invalid_or_misdirected_import_is_refused_and_changes_nothing() {
    let w = writable();
    let auth = format!("Bearer {TOKEN}");
    let bow = r#"{"type":"Polygon","coordinates":[[[112.1,37.4],[112.11,37.41],[112.11,37.4],[112.1,37.41],[112.1,37.4]]]}"#;
    let r = put_layer(&w.base, "industrial_parks", Some(&auth), bow.to_string());
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().unwrap();
    assert!(v["error"].as_str().unwrap().contains("invalid"), "{v}");
    assert_eq!(layer_entry(&w.base, "industrial_parks")["features"], 4);
    let r = put_layer(
        &w.base,
        "no_such_layer",
        Some(&auth),
        rect_geojson(112.1, 37.4, 112.2, 37.5),
    );
    assert_eq!(r.status(), 404);
    let before = files_in(&w.data);
    for hostile in [
        "..%2Fplan.toml",
        "..%2F..%2Fetc%2Fpasswd",
        "layers%2Ffarmland",
    ] {
        let r = put_layer(
            &w.base,
            hostile,
            Some(&auth),
            rect_geojson(112.1, 37.4, 112.2, 37.5),
        );
        assert_eq!(r.status(), 404, "{hostile}");
    }
    assert_eq!(files_in(&w.data), before, "nothing written outside a layer");
    let r = put_layer(
        &w.base,
        "industrial_parks",
        Some(&auth),
        "{not json".to_string(),
    );
    assert_eq!(r.status(), 422, "{}", r.text().unwrap());
}
