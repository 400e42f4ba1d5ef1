//! Malformed and hostile requests, sent raw over TCP (so paths with `..` and broken headers
//! reach the server as written): each must get a 4xx with a JSON `error` naming the problem,
//! and the server must keep answering.

mod serve_support;

use serde_json::Value;
use serve_support::*;

/// A square site polygon with `n` vertices on a circle around the county seat.
fn site_with_vertices(n: usize) -> String {
    let pts: Vec<String> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
            format!(
                "[{:.7},{:.7}]",
                112.03 + 0.001 * a.cos(),
                37.43 + 0.001 * a.sin()
            )
        })
        .collect();
    format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        pts.join(",")
    )
}

struct Case {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    extra_headers: &'static str,
    status: u16,
    /// Words the error message must contain (case-insensitive).
    names: &'static [&'static str],
}

fn case(
    method: &'static str,
    path: &str,
    body: &str,
    status: u16,
    names: &'static [&'static str],
) -> Case {
    Case {
        method,
        path: path.to_string(),
        body: body.as_bytes().to_vec(),
        extra_headers: "",
        status,
        names,
    }
}

fn post(body: &str, status: u16, names: &'static [&'static str]) -> Case {
    case("POST", "/api/check", body, status, names)
}

fn cases() -> Vec<Case> {
    let poly = |coords: &str| format!(r#"{{"type":"Polygon","coordinates":[[{coords}]]}}"#);
    let mut v = vec![
        // Broken or wrong site bodies.
        post("{\"type\":\"Polygon\",", 400, &["geojson"]),
        post("not json at all", 400, &["geojson"]),
        post("", 400, &["empty"]),
        post("   \n ", 400, &["empty"]),
        post("[1,2,3]", 400, &["geojson"]),
        post(
            r#"{"type":"Circle","coordinates":[112,37]}"#,
            400,
            &["geojson"],
        ),
        post(
            r#"{"type":"LineString","coordinates":[[112.0,37.4],[112.1,37.4]]}"#,
            422,
            &["linestring"],
        ),
        post(
            r#"{"type":"Point","coordinates":[112.0,37.4]}"#,
            422,
            &["point"],
        ),
        post(
            r#"{"type":"MultiPoint","coordinates":[[112.0,37.4]]}"#,
            422,
            &["polygon"],
        ),
        post(
            r#"{"type":"Feature","properties":{},"geometry":null}"#,
            422,
            &["null geometry"],
        ),
        post(
            r#"{"type":"FeatureCollection","features":[]}"#,
            422,
            &["no polygon"],
        ),
        post(r#"{"type":"Polygon","coordinates":[]}"#, 422, &["ring"]),
        post(
            &poly("[112.0,37.4],[112.01,37.4],[112.01,37.41],[112.0,37.41]"),
            422,
            &["not closed"],
        ),
        post(
            &poly("[112.0,37.4],[112.01,37.4],[112.0,37.4]"),
            422,
            &["at least 4"],
        ),
        post(
            &poly("[1e308,37.4],[112.01,37.4],[112.01,37.41],[1e308,37.4]"),
            422,
            &["outside lon/lat range"],
        ),
        post(
            &poly("[1e309,37.4],[112.01,37.4],[112.01,37.41],[1e309,37.4]"),
            400,
            &["geojson"],
        ),
        post(
            &poly("[\"NaN\",37.4],[112.01,37.4],[112.01,37.41],[\"NaN\",37.4]"),
            400,
            &["nan"],
        ),
        post(
            &poly("[112.0],[112.01,37.4],[112.01,37.41],[112.0]"),
            422,
            &["position"],
        ),
        post(
            &poly("[112.0,37.4],[112.01,37.41],[112.01,37.4],[112.0,37.41],[112.0,37.4]"),
            422,
            &["self-intersection"],
        ),
        post(
            &poly("[112.0,37.4],[112.01,37.4],[112.02,37.4],[112.0,37.4]"),
            422,
            &["degenerate"],
        ),
        post(
            &poly("[10.0,10.0],[10.01,10.0],[10.01,10.01],[10.0,10.01],[10.0,10.0]"),
            422,
            &["outside"],
        ),
        post(&site_with_vertices(100_001), 422, &["vertices", "limit"]),
        case(
            "POST",
            "/api/check?format=xml",
            "{}",
            400,
            &["format", "xml"],
        ),
        case("POST", "/api/check?frmat=json", "{}", 400, &["frmat"]),
        case("POST", "/api/check", "\u{0}\u{1}", 400, &["geojson"]),
        // Wrong methods and unknown things.
        case("GET", "/api/check", "", 405, &["get"]),
        case("DELETE", "/api/layers", "", 405, &["delete"]),
        case("POST", "/", "x", 405, &["post"]),
        case("GET", "/api/nothing", "", 404, &["/api/nothing"]),
        case(
            "GET",
            "/api/layers/nope.geojson",
            "",
            404,
            &["unknown layer", "nope"],
        ),
        case("GET", "/api/layers/farmland.shp", "", 404, &[".geojson"]),
        case(
            "GET",
            "/api/layers/farmland.geojson?bbox=1,2,3",
            "",
            400,
            &["bbox", "4 numbers"],
        ),
        case(
            "GET",
            "/api/layers/farmland.geojson?bbox=5,5,1,1",
            "",
            400,
            &["bbox", "minimum"],
        ),
        case(
            "GET",
            "/api/layers/farmland.geojson?bbox=a,b,c,d",
            "",
            400,
            &["bbox", "not a number"],
        ),
        // Path traversal.
        case("GET", "/../../etc/passwd", "", 404, &["no such resource"]),
        case(
            "GET",
            "/%2e%2e/%2e%2e/etc/passwd",
            "",
            404,
            &["no such resource"],
        ),
        case(
            "GET",
            "/api/layers/..%2f..%2fplan.toml.geojson",
            "",
            404,
            &["unknown layer"],
        ),
        case("GET", "/tiles/../../plan.toml/1/0/0.pbf", "", 404, &[]),
        case(
            "GET",
            "/tiles/..%2Fplan/1/0/0.pbf",
            "",
            404,
            &["unknown layer"],
        ),
        case("GET", "/fonts/..%2F..%2Fetc/0-255.pbf", "", 404, &["font"]),
        case("GET", "/api/layers/%ff%fe.geojson", "", 400, &["utf-8"]),
        // Tiles out of range.
        case("GET", "/tiles/farmland/23/0/0.pbf", "", 400, &["zoom 23"]),
        case("GET", "/tiles/farmland/12/4096/0.pbf", "", 400, &["4095"]),
        case(
            "GET",
            "/tiles/farmland/12/0/99999999999.pbf",
            "",
            400,
            &["y"],
        ),
        case("GET", "/tiles/farmland/-1/0/0.pbf", "", 400, &["z"]),
        case("GET", "/tiles/farmland/1/0/0.png", "", 404, &[".pbf"]),
        case("GET", "/tiles/nope/1/0/0.pbf", "", 404, &["unknown layer"]),
        case("GET", "/tiles/nope.json", "", 404, &["unknown layer"]),
        case(
            "GET",
            "/fonts/Nonexistent%20Font/0-255.pbf",
            "",
            404,
            &["nonexistent font"],
        ),
        case(
            "GET",
            "/fonts/WenQuanYi%20Micro%20Hei%20Regular/1-256.pbf",
            "",
            400,
            &["range"],
        ),
        case(
            "GET",
            "/fonts/WenQuanYi%20Micro%20Hei%20Regular/65536-65791.pbf",
            "",
            400,
            &["range"],
        ),
        // Identify.
        case("GET", "/api/identify", "", 400, &["lon", "missing"]),
        case("GET", "/api/identify?lon=112", "", 400, &["lat", "missing"]),
        case(
            "GET",
            "/api/identify?lon=abc&lat=37",
            "",
            400,
            &["lon", "not a number"],
        ),
        case(
            "GET",
            "/api/identify?lon=NaN&lat=37",
            "",
            400,
            &["lon", "finite"],
        ),
        case(
            "GET",
            "/api/identify?lon=200&lat=37",
            "",
            400,
            &["lon", "out of range"],
        ),
        case(
            "GET",
            "/api/identify?lon=112&lat=37&lon=113",
            "",
            400,
            &["lon", "more than once"],
        ),
        case(
            "GET",
            "/api/identify?lon=112&lat=37&tolerance=-3",
            "",
            400,
            &["tolerance"],
        ),
        // OGC API.
        case(
            "GET",
            "/ogc/collections/farmland/items?limit=-1",
            "",
            400,
            &["limit"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?limit=0",
            "",
            400,
            &["limit"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?limit=ten",
            "",
            400,
            &["limit"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?offset=-5",
            "",
            400,
            &["offset"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?bbox=1,2",
            "",
            400,
            &["bbox"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?crs=EPSG:3857",
            "",
            400,
            &["crs", "not supported"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
            "",
            400,
            &["bbox-crs", "without bbox"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items?filter=x",
            "",
            400,
            &["filter", "unknown parameter"],
        ),
        case(
            "GET",
            "/ogc/collections/nope/items",
            "",
            404,
            &["unknown layer"],
        ),
        case(
            "GET",
            "/ogc/collections/farmland/items/no-such-feature",
            "",
            404,
            &["no feature", "no-such-feature"],
        ),
    ];
    // Segments no file name can have (over 255 bytes), static and under /assets/: a JSON
    // 404 like any missing file (a hostile Host header is not read at all:
    // tests/connections.rs checks the URLs it would have reached).
    for path in [
        format!("/{}", "a".repeat(255)),
        format!("/{}", "a".repeat(256)),
        format!("/assets/{}.js", "b".repeat(300)),
        format!("/x/{}/y", "%41".repeat(300)),
    ] {
        v.push(case("GET", &path, "", 404, &["no such resource"]));
    }
    v
}

fn send(c: &Case) -> (u16, String) {
    let mut head = format!("{} {} HTTP/1.1", c.method, c.path);
    if !c.extra_headers.is_empty() {
        head.push('\n');
        head.push_str(c.extra_headers);
    }
    raw(&head, &c.body)
}

#[test]
fn hostile_requests_get_named_4xx_json_errors_and_the_server_stays_up() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let (status, body) = send(c);
        let v: Option<Value> = serde_json::from_str(&body).ok();
        let msg = v
            .as_ref()
            .and_then(|v| v["error"].as_str())
            .unwrap_or("")
            .to_lowercase();
        let named = c.names.iter().all(|n| msg.contains(&n.to_lowercase()));
        // No internals: no panic text, source paths or backtraces in any answer.
        let leaks = [
            "panicked",
            ".rs:",
            "backtrace",
            "/home/",
            "/work/",
            "/root/",
        ]
        .iter()
        .any(|l| body.to_lowercase().contains(l));
        if status != c.status || msg.is_empty() || !named || leaks {
            failures.push(format!("{} {} → {status} {body:.300}", c.method, c.path));
        }
        // Still up after each one.
        assert_eq!(
            raw("GET /api/plan HTTP/1.1", b"").0,
            200,
            "server down after {} {}",
            c.method,
            c.path
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_50_mb_body_is_refused_with_413() {
    let body = vec![b' '; 50 * 1024 * 1024];
    let (status, text) = raw(
        "POST /api/check HTTP/1.1\nContent-Type: application/json",
        &body,
    );
    assert_eq!(status, 413, "{text:.300}");
    let v: Value = serde_json::from_str(&text).expect("JSON error");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("larger than the limit of 10485760 bytes"));
    assert_eq!(raw("GET /api/layers HTTP/1.1", b"").0, 200);
}

#[test]
fn many_bad_requests_at_once_leave_it_serving() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for j in 0..10 {
                    let (s, _) = raw(
                        &format!("GET /tiles/farmland/{}/0/0.pbf HTTP/1.1", 30 + i + j),
                        b"",
                    );
                    assert_eq!(s, 400);
                    let (s, _) = raw("POST /api/check HTTP/1.1", b"{\"type\":");
                    assert_eq!(s, 400);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(get("/api/plan").status(), 200);
}
