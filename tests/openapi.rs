//! `/api/openapi.json` against the server's real answers: every `/api` endpoint is asked, with
//! requests that succeed and requests that are refused, and each JSON answer is validated
//! with an independent JSON Schema validator (the `jsonschema` crate, draft 2020-12, the
//! dialect of OpenAPI 3.1) against the schema the document gives for that path, method,
//! status and content type. A status or content type the document does not list fails, and so
//! does a member an answer carries that its schema does not declare (the test closes every
//! object schema with `unevaluatedProperties: false`), so the document cannot drift from the
//! code unnoticed. Every path and method of the document must be exercised.

mod import_support;
mod serve_support;

use std::collections::BTreeSet;

use planmap_server::AdminToken;
use planmap_tests::{coordinate_txt_square, rect_geojson, root};
use serde_json::{json, Value};
use serve_support::*;

const TOKEN: &str = "openapi-test-token-0123456789";

/// One request and what the test expects of its status.
struct Case {
    method: &'static str,
    /// The document's path template.
    template: &'static str,
    url: String,
    body: Option<Vec<u8>>,
    auth: bool,
    status: u16,
}

fn case(method: &'static str, template: &'static str, url: &str, status: u16) -> Case {
    Case {
        method,
        template,
        url: url.to_string(),
        body: None,
        auth: false,
        status,
    }
}

impl Case {
    fn body(mut self, b: impl Into<Vec<u8>>) -> Case {
        self.body = Some(b.into());
        self
    }
    fn keeper(mut self) -> Case {
        self.auth = true;
        self
    }
}

/// Closes every object schema of the document to members it does not declare. A schema that
/// other schemas extend through `allOf` (a flattened struct) is left open: the extension,
/// which sees the members of both, is closed instead. `ErrorBody` is open by design (members
/// naming what is at fault vary).
fn close(doc: &mut Value) {
    let mut extended = BTreeSet::new();
    fn find_all_of(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(parts)) = m.get("allOf") {
                    for p in parts {
                        if let Some(r) = p.get("$ref").and_then(Value::as_str) {
                            out.insert(r.rsplit('/').next().unwrap_or("").to_string());
                        }
                    }
                }
                m.values().for_each(|x| find_all_of(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| find_all_of(x, out)),
            _ => {}
        }
    }
    find_all_of(doc, &mut extended);
    extended.insert("ErrorBody".into());
    /// Closes `v` and the schemas in it; the parts of an `allOf` are left open themselves
    /// (the whole, which sees the members of every part, is closed).
    fn seal(v: &mut Value) {
        seal_inside(v);
        if let Value::Object(m) = v {
            let is_object_schema = m.contains_key("properties") || m.contains_key("allOf");
            if is_object_schema && !m.contains_key("unevaluatedProperties") {
                m.insert("unevaluatedProperties".into(), json!(false));
            }
        }
    }
    fn seal_inside(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match (k.as_str(), x) {
                        ("allOf", Value::Array(parts)) => parts.iter_mut().for_each(seal_inside),
                        ("properties", Value::Object(props)) => props.values_mut().for_each(seal),
                        (_, x) => seal(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(seal),
            _ => {}
        }
    }
    let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
    for (name, s) in schemas.iter_mut() {
        if extended.contains(name) {
            // Its nested schemas are still closed; the schema itself stays open.
            seal_inside(s);
        } else {
            seal(s);
        }
    }
}

/// The schema of an answer, with the document's components beside it so `$ref`s resolve.
fn schema_for(doc: &Value, c: &Case, status: u16, content_type: &str) -> Option<Value> {
    let op = &doc["paths"][c.template][c.method.to_lowercase()];
    assert!(
        op.is_object(),
        "{} {} is not in the document",
        c.method,
        c.template
    );
    let resp = &op["responses"][status.to_string()];
    assert!(
        resp.is_object(),
        "{} {}: status {status} is not in the document",
        c.method,
        c.url
    );
    let media = content_type.split(';').next().unwrap().trim();
    let content = resp["content"].as_object().expect("content");
    let entry = content.get(media).unwrap_or_else(|| {
        panic!(
            "{} {} ({status}): content type {media} not in the document ({:?})",
            c.method,
            c.url,
            content.keys().collect::<Vec<_>>()
        )
    });
    let mut schema = entry["schema"].clone();
    if let Some(m) = schema.as_object_mut() {
        m.insert("components".into(), doc["components"].clone());
    }
    media.ends_with("json").then_some(schema)
}

fn send(base: &str, c: &Case) -> reqwest::blocking::Response {
    let url = format!("{base}{}", c.url);
    let mut r = match c.method {
        "GET" => client().get(url),
        "POST" => client().post(url),
        "PUT" => client().put(url),
        m => panic!("method {m}"),
    };
    if let Some(b) = &c.body {
        r = r.body(b.clone());
    }
    if c.auth {
        r = r.header("Authorization", format!("Bearer {TOKEN}"));
    }
    r.send().expect("request")
}

/// A 200 m square in CGCS2000 Gauss-Krüger zone 37 (DESIGN.md's sanity point), as the
/// land-ministry coordinate TXT writes it.
fn coordinate_txt() -> String {
    coordinate_txt_square(4_144_603.0, 37_588_409.0, "测试地块")
}

#[test]
fn every_api_answer_matches_the_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("plan");
    import_support::copy_dir(&plan_dir(), &data);
    let mut config = planmap_server::Config::new(&data);
    config.web_dir = Some(web_dir());
    config.admin_token = Some(AdminToken::new(TOKEN).unwrap());
    config.history_db = Some(dir.path().join("history.sqlite"));
    let base = serve(config);

    let r = client()
        .get(format!("{base}/api/openapi.json"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut doc: Value = r.json().unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    close(&mut doc);

    let red = std::fs::read(root().join("tests/fixtures/site_red_line.geojson")).unwrap();
    let park = std::fs::read(root().join("tests/fixtures/site_park.geojson")).unwrap();
    let outside = rect_geojson(100.0, 30.0, 100.01, 30.01);
    let line = r#"{"type":"LineString","coordinates":[[112,37.4],[112.1,37.4]]}"#;
    let park_fc = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"新园区"}},"geometry":{}}}]}}"#,
        rect_geojson(112.15, 37.45, 112.16, 37.46)
    );
    let cases = vec![
        case("GET", "/api/openapi.json", "/api/openapi.json", 200),
        case("GET", "/api/openapi.json", "/api/openapi.json?x=1", 400),
        case("GET", "/api/plans", "/api/plans", 200),
        case("GET", "/api/plans", "/api/plans?all=1", 400),
        case("GET", "/api/plans.geojson", "/api/plans.geojson", 200),
        case("GET", "/api/plans.geojson", "/api/plans.geojson?x=1", 400),
        case("GET", "/api/plan", "/api/plan", 200),
        case("GET", "/api/plan", "/api/plan?verbose=1", 400),
        case("GET", "/api/layers", "/api/layers", 200),
        case("GET", "/api/layers", "/api/layers?a=1&a=2", 400),
        case(
            "GET",
            "/api/layers/{file}",
            "/api/layers/red_line.geojson",
            200,
        ),
        case(
            "GET",
            "/api/layers/{file}",
            "/api/layers/farmland.geojson?bbox=112.2,37.4,112.21,37.41",
            200,
        ),
        case(
            "GET",
            "/api/layers/{file}",
            "/api/layers/red_line.geojson?bbox=1,2",
            400,
        ),
        case("GET", "/api/layers/{file}", "/api/layers/nope.geojson", 404),
        case(
            "GET",
            "/api/layers/{id}/preview.png",
            "/api/layers/county/preview.png?size=9",
            400,
        ),
        case(
            "GET",
            "/api/layers/{id}/preview.png",
            "/api/layers/nope/preview.png",
            404,
        ),
        case("POST", "/api/check", "/api/check", 200).body(red.clone()),
        case(
            "POST",
            "/api/check",
            "/api/check?geometry=true&source=web&check_key=openapi-1",
            200,
        )
        .body(red.clone()),
        case("POST", "/api/check", "/api/check?format=geojson", 200).body(park.clone()),
        case("POST", "/api/check", "/api/check?format=report", 200).body(park.clone()),
        case("POST", "/api/check", "/api/check?input=txt&geometry=1", 200).body(coordinate_txt()),
        case("POST", "/api/check", "/api/check?format=xml", 400).body(red.clone()),
        case("POST", "/api/check", "/api/check", 400).body("{not json"),
        case("POST", "/api/check", "/api/check", 422).body(line),
        case("POST", "/api/check", "/api/check", 422).body(outside),
        case("POST", "/api/check/batch", "/api/check/batch", 200).body(park_fc.clone()),
        case(
            "POST",
            "/api/check/batch",
            "/api/check/batch?geometry=true&source=web",
            200,
        )
        .body(park_fc.clone()),
        case(
            "POST",
            "/api/check/batch",
            "/api/check/batch?format=csv",
            200,
        )
        .body(park_fc.clone()),
        case(
            "POST",
            "/api/check/batch",
            "/api/check/batch?format=xml",
            400,
        )
        .body(park_fc.clone()),
        case("POST", "/api/check/batch", "/api/check/batch", 422)
            .body(r#"{"type":"FeatureCollection","features":[]}"#),
        case("GET", "/api/conflicts", "/api/conflicts", 200),
        case(
            "GET",
            "/api/conflicts.geojson",
            "/api/conflicts.geojson",
            200,
        ),
        case("GET", "/api/conflicts", "/api/conflicts?f=json", 400),
        case(
            "GET",
            "/api/identify",
            "/api/identify?lon=112.2&lat=37.4",
            200,
        ),
        case("GET", "/api/identify", "/api/identify?lon=112.2", 400),
        case(
            "GET",
            "/api/identify",
            "/api/identify?lon=NaN&lat=37.4",
            400,
        ),
        case("GET", "/api/history", "/api/history", 401),
        case("GET", "/api/history", "/api/history?verdict=maybe", 400).keeper(),
        case("GET", "/api/history", "/api/history?limit=5", 200).keeper(),
        case("GET", "/api/history", "/api/history?batch=no%20such", 400).keeper(),
        case("GET", "/api/history", "/api/history?batch=none-yet", 200).keeper(),
        case("GET", "/api/history.geojson", "/api/history.geojson", 200).keeper(),
        case("GET", "/api/history.geojson", "/api/history.geojson", 401),
        case("GET", "/api/history.csv", "/api/history.csv", 200).keeper(),
        case("GET", "/api/history.csv", "/api/history.csv?limit=0", 400).keeper(),
        case("POST", "/api/admin/reload", "/api/admin/reload", 200).keeper(),
        case("POST", "/api/admin/reload", "/api/admin/reload", 401),
        case(
            "PUT",
            "/api/admin/layers/{id}",
            "/api/admin/layers/nope",
            404,
        )
        .body(park_fc.clone())
        .keeper(),
        case(
            "PUT",
            "/api/admin/layers/{id}",
            "/api/admin/layers/industrial_parks?x=1",
            400,
        )
        .body(park_fc.clone())
        .keeper(),
        case(
            "PUT",
            "/api/admin/layers/{id}",
            "/api/admin/layers/industrial_parks",
            422,
        )
        .body(line)
        .keeper(),
        case(
            "PUT",
            "/api/admin/layers/{id}",
            "/api/admin/layers/industrial_parks",
            200,
        )
        .body(park_fc)
        .keeper(),
    ];

    let mut exercised = BTreeSet::new();
    for c in &cases {
        let r = send(&base, c);
        let status = r.status().as_u16();
        let ct = header(&r, "content-type");
        let bytes = r.bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        // 501 is the preview of a server built without map rendering: documented, accepted.
        assert_eq!(
            status,
            c.status,
            "{} {}: {}",
            c.method,
            c.url,
            &text[..text.len().min(300)]
        );
        exercised.insert((c.method.to_lowercase(), c.template.to_string()));
        let Some(schema) = schema_for(&doc, c, status, &ct) else {
            continue;
        };
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{} {}: not JSON ({e})", c.method, c.url));
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{} {}: the schema does not compile: {e}", c.method, c.url));
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} {} ({status}) does not match the document:\n  {}",
            c.method,
            c.url,
            errors.join("\n  ")
        );
    }

    // Every operation of the document was asked.
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let missed: Vec<_> = documented.difference(&exercised).collect();
    assert!(missed.is_empty(), "operations never asked: {missed:?}");
}

#[test]
fn a_site_left_out_of_a_schema_would_be_caught() {
    // The check of the test itself: an answer with a member its schema does not declare, or
    // without a required one, fails validation once the document is closed.
    let mut doc: Value = client()
        .get(url("/api/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    close(&mut doc);
    let mut schema = doc["paths"]["/api/identify"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]
        .clone();
    schema["components"] = doc["components"].clone();
    let v = jsonschema::validator_for(&schema).unwrap();
    let good = client()
        .get(url("/api/identify?lon=112.2&lat=37.4"))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert!(v.is_valid(&good));
    let mut extra = good.clone();
    extra["surprise"] = json!(1);
    assert!(!v.is_valid(&extra));
    let mut missing = good;
    missing.as_object_mut().unwrap().remove("count");
    assert!(!v.is_valid(&missing));
}
