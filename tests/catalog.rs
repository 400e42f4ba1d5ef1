//! A catalog of plans served by one `planmap serve`: 汾阳市 (141182, written by `planmap-datagen
//! region --only 141182` into a temp folder) and Wenshui's folder linked beside it. The plan
//! list and outlines, every plan path under `/plans/{plan}/` and the root ones for the default
//! plan, an unknown plan's 404, a site across the Wenshui–汾阳 line answered by both plans
//! (the parts' areas against geo's boolean intersection of the outline files and geo's
//! geodesic area — Karney's, not the engine's), the check history by plan, and a memory
//! budget that evicts one plan for the other and loads it again with the same answer.

use std::path::{Path, PathBuf};

use geo::{BooleanOps, GeodesicArea, Geometry, MultiPolygon};
use planmap_tests::{generate_region, rect_area_m2, rect_geojson, root, ServeProcess};
use serde_json::Value;

const FENYANG: &str = "141182";
const TOKEN: &str = "catalog-test-token-0123456789";
/// A 0.01° square across the Wenshui–汾阳 line (the line runs through 111.7322, 37.4580).
const ACROSS: (f64, f64, f64, f64) = (111.727, 37.453, 111.737, 37.463);
/// A square inside Wenshui, far from its other borders.
const IN_WENSHUI: (f64, f64, f64, f64) = (112.05, 37.40, 112.06, 37.41);

/// The catalog folder: the generated 汾阳 plan and a link to Wenshui's folder.
fn region() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    generate_region(FENYANG, tmp.path());
    let wenshui = root().join("data/wenshui").canonicalize().unwrap();
    std::os::unix::fs::symlink(wenshui, tmp.path().join("wenshui")).unwrap();
    tmp
}

/// A web folder with an index page of its own (the built-in app may not be built).
fn web(dir: &Path) -> PathBuf {
    let web = dir.join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>catalog test</title>",
    )
    .unwrap();
    web
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

fn get(s: &ServeProcess, path: &str) -> (u16, Value) {
    let r = client().get(format!("{}{path}", s.url)).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn ok(s: &ServeProcess, path: &str) -> Value {
    let (status, v) = get(s, path);
    assert_eq!(status, 200, "GET {path}: {v}");
    v
}

fn check(s: &ServeProcess, path: &str, site: (f64, f64, f64, f64)) -> Value {
    let body = rect_geojson(site.0, site.1, site.2, site.3);
    let r = client()
        .post(format!("{}{path}", s.url))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "POST {path}");
    r.json().unwrap()
}

/// The county outline of a plan folder (its `county` role layer), read with `geojson`.
fn outline(plan: &Path) -> MultiPolygon<f64> {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(plan.join("plan.toml")).unwrap()).unwrap();
    let layer = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l.get("role").and_then(|r| r.as_str()) == Some("county"))
        .expect("a county layer");
    let file = layer.get("file").and_then(|f| f.as_str()).map_or_else(
        || format!("layers/{}.geojson", layer["id"].as_str().unwrap()),
        str::to_string,
    );
    let fc: geojson::FeatureCollection = std::fs::read_to_string(plan.join(file))
        .unwrap()
        .parse()
        .unwrap();
    let mut polys = Vec::new();
    for f in fc.features {
        match Geometry::try_from(f.geometry.unwrap()).unwrap() {
            Geometry::Polygon(p) => polys.push(p),
            Geometry::MultiPolygon(m) => polys.extend(m.0),
            g => panic!("not a polygon: {g:?}"),
        }
    }
    MultiPolygon(polys)
}

fn sq(site: (f64, f64, f64, f64)) -> MultiPolygon<f64> {
    let p: geo::Polygon<f64> = geo::Rect::new((site.0, site.1), (site.2, site.3)).to_polygon();
    MultiPolygon(vec![p])
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

/// How strict a verdict is (不通过 the strictest).
fn rank(v: &Value) -> u8 {
    match v.as_str().unwrap() {
        "不通过" => 2,
        "需论证" => 1,
        "通过" => 0,
        v => panic!("no verdict: {v}"),
    }
}

#[test]
fn a_catalog_lists_its_plans_serves_each_and_checks_a_site_across_a_county_line() {
    let tmp = region();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for id in [FENYANG, "wenshui"] {
        std::fs::rename(tmp.path().join(id), data.join(id)).unwrap();
    }
    let web = web(tmp.path());
    let db = tmp.path().join("history.sqlite");
    let s = ServeProcess::start(
        &data,
        &[
            "--default-plan",
            "wenshui",
            "--web",
            web.to_str().unwrap(),
            "--history",
            db.to_str().unwrap(),
        ],
        &[("PLANMAP_ADMIN_TOKEN", TOKEN)],
    );

    // The list: id order, the default, the manifests' figures; nothing but the default loaded.
    let list = ok(&s, "/api/plans");
    assert_eq!(list["default"], "wenshui");
    let ids: Vec<&str> = list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [FENYANG, "wenshui"]);
    for p in list["plans"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let manifest: toml::Value =
            toml::from_str(&std::fs::read_to_string(data.join(id).join("plan.toml")).unwrap())
                .unwrap();
        assert_eq!(p["name"], manifest["name"].as_str().unwrap());
        assert_eq!(p["county"], manifest["county"].as_str().unwrap());
        assert_eq!(p["adcode"], manifest["adcode"].as_str().unwrap());
        assert_eq!(p["layers"], manifest["layers"].as_array().unwrap().len());
        assert_eq!(p["url"], format!("/plans/{id}/"));
        assert_eq!(p["loaded"], id == "wenshui", "{p}");
        // The box holds the outline read from its file.
        let b: Vec<f64> = p["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let r = geo::BoundingRect::bounding_rect(&outline(&data.join(id))).unwrap();
        assert_eq!(b, [r.min().x, r.min().y, r.max().x, r.max().y]);
    }
    assert!(list["plans"][1]["memory_bytes"].as_u64().unwrap() > 1_000_000);
    assert!(list["plans"][0]["memory_bytes"].is_null());

    // The outlines: geodesic areas as geo (Karney) measures the outline files.
    let fc = ok(&s, "/api/plans.geojson");
    assert_eq!(fc["type"], "FeatureCollection");
    for f in fc["features"].as_array().unwrap() {
        let id = f["properties"]["id"].as_str().unwrap();
        let want = outline(&data.join(id)).geodesic_area_unsigned() / 1e6;
        let got = f["properties"]["area_km2"].as_f64().unwrap();
        assert!(close(got, want, 1e-6), "{id}: {got} km² vs {want}");
        assert_eq!(f["properties"]["url"], format!("/plans/{id}/"));
        assert!(matches!(
            f["geometry"]["type"].as_str(),
            Some("Polygon" | "MultiPolygon")
        ));
    }
    // Listing loads nothing.
    assert_eq!(ok(&s, "/api/plans")["plans"][0]["loaded"], false);

    // Every plan path under /plans/{plan}/; the root paths mean the default plan.
    assert_eq!(ok(&s, "/api/plan")["id"], "wenshui");
    assert_eq!(ok(&s, "/plans/wenshui/api/plan"), ok(&s, "/api/plan"));
    assert_eq!(ok(&s, &format!("/plans/{FENYANG}/api/plan"))["id"], FENYANG);
    let layers = ok(&s, &format!("/plans/{FENYANG}/api/layers"));
    assert!(layers.to_string().contains("XZQ"));
    let style = ok(&s, &format!("/plans/{FENYANG}/style.json"));
    let tiles = style["sources"][FENYANG]["tiles"][0].as_str().unwrap();
    assert!(
        tiles.starts_with(&format!("{}/plans/{FENYANG}/tiles/{FENYANG}/", s.url)),
        "{tiles}"
    );
    let tile = client()
        .get(tiles.replace("{z}/{x}/{y}", "10/829/397"))
        .send()
        .unwrap();
    assert_eq!(tile.status(), 200);
    let ogc = ok(&s, &format!("/plans/{FENYANG}/ogc/collections"));
    let href = ogc["collections"][0]["links"][0]["href"].as_str().unwrap();
    assert!(
        href.starts_with(&format!("{}/plans/{FENYANG}/ogc/", s.url)),
        "{href}"
    );
    let page = client()
        .get(format!("{}/plans/{FENYANG}/", s.url))
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("catalog test"));
    let (status, err) = get(&s, "/plans/nowhere/api/plan");
    assert_eq!(status, 404);
    assert!(err["error"].as_str().unwrap().contains("nowhere"), "{err}");
    assert_eq!(err["known"], serde_json::json!([FENYANG, "wenshui"]));
    assert_eq!(ok(&s, "/api/plans")["plans"][0]["loaded"], true);

    // A site across the line: both plans answer; the parts are the outlines' own.
    let whole = rect_area_m2(ACROSS.0, ACROSS.1, ACROSS.2, ACROSS.3);
    let site = sq(ACROSS);
    for (path, lead) in [
        ("/api/check", "wenshui"),
        (&*format!("/plans/{FENYANG}/api/check"), FENYANG),
    ] {
        let a = check(&s, path, ACROSS);
        assert!(
            a["data_version"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{lead}-")),
            "{path}"
        );
        let plans = a["plans"].as_array().unwrap();
        let ids: Vec<&str> = plans.iter().map(|p| p["plan"].as_str().unwrap()).collect();
        assert_eq!(ids, [FENYANG, "wenshui"]);
        let mut sum = 0.0;
        for p in plans {
            let id = p["plan"].as_str().unwrap();
            let part = site
                .intersection(&outline(&data.join(id)))
                .geodesic_area_unsigned();
            let got = p["area_m2"].as_f64().unwrap();
            assert!(close(got, part, 1e-6), "{id}: {got} m² vs {part}");
            assert!(part > 0.1 * whole, "{id} holds a real part of the site");
            assert_eq!(p["verdict"], p["report"]["verdict"]);
            sum += got;
        }
        assert!(
            close(sum, whole, 1e-6),
            "the parts add up to {sum} m², the site is {whole}"
        );
        let strictest = plans.iter().map(|p| rank(&p["verdict"])).max().unwrap();
        assert_eq!(rank(&a["overall_verdict"]), strictest);
        let mine = plans.iter().find(|p| p["plan"] == lead).unwrap();
        assert_eq!(a["verdict"], mine["verdict"]);
        assert_eq!(a["overlaps"], mine["report"]["overlaps"]);
    }
    let g = client()
        .post(format!("{}/api/check?format=geojson", s.url))
        .body(rect_geojson(ACROSS.0, ACROSS.1, ACROSS.2, ACROSS.3))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["plans"].as_array().unwrap().len(), 2);
    assert!(g["overall_verdict"].is_string());

    // A site in one county: one plan, its part the whole site.
    let one = check(&s, "/api/check", IN_WENSHUI);
    assert_eq!(one["plans"].as_array().unwrap().len(), 1);
    assert_eq!(one["plans"][0]["plan"], "wenshui");
    let area = rect_area_m2(IN_WENSHUI.0, IN_WENSHUI.1, IN_WENSHUI.2, IN_WENSHUI.3);
    assert!(close(
        one["plans"][0]["area_m2"].as_f64().unwrap(),
        area,
        1e-6
    ));
    assert_eq!(one["overall_verdict"], one["verdict"]);

    // The history: each plan's verdict recorded under its plan, filtered by ?plan= or path.
    let history = |path: &str| -> Value {
        let r = client()
            .get(format!("{}{path}", s.url))
            .bearer_auth(TOKEN)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().unwrap()
    };
    let all = history("/api/history?limit=1000");
    // Two across-the-line checks of two plans each, the GeoJSON one too, and the one-county check.
    assert_eq!(all["total"], 7);
    let fen = history(&format!("/api/history?plan={FENYANG}"));
    assert_eq!(fen["total"], 3);
    assert!(fen["records"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["plan"] == FENYANG));
    assert_eq!(
        history(&format!("/plans/{FENYANG}/api/history"))["total"],
        3
    );
    assert_eq!(history("/plans/wenshui/api/history")["total"], 4);
}

#[test]
fn a_memory_budget_evicts_the_least_recently_used_plan_and_loads_it_again() {
    let tmp = region();
    // 1 MB: room for no plan, so only the plan last asked for stays loaded.
    let s = ServeProcess::start(
        tmp.path(),
        &[
            "--default-plan",
            "wenshui",
            "--max-memory",
            "1MB",
            "--no-history",
        ],
        &[],
    );
    let loaded = || -> Vec<String> {
        ok(&s, "/api/plans")["plans"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["loaded"] == true)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let first = check(&s, "/api/check", IN_WENSHUI);
    assert_eq!(loaded(), ["wenshui"]);
    assert_eq!(ok(&s, &format!("/plans/{FENYANG}/api/plan"))["id"], FENYANG);
    assert_eq!(loaded(), [FENYANG]);
    let again = check(&s, "/plans/wenshui/api/check", IN_WENSHUI);
    assert_eq!(again, first);
    assert_eq!(loaded(), ["wenshui"]);
    // A check across the line loads both for its time; the answer is whole.
    let a = check(&s, "/api/check", ACROSS);
    assert_eq!(a["plans"].as_array().unwrap().len(), 2);
    assert_eq!(loaded().len(), 1);
}

/// A plan folder `id` in `data`: Wenshui's manifest under another id drawing its basemap
/// from `basemap`, its other files linked.
fn wenshui_as(data: &Path, id: &str, basemap: &str) {
    let src = root().join("data/wenshui").canonicalize().unwrap();
    let dir = data.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let name = e.unwrap().file_name();
        if name != "plan.toml" {
            std::os::unix::fs::symlink(src.join(&name), dir.join(&name)).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(src.join("plan.toml")).unwrap();
    assert!(manifest.contains("\nid = \"wenshui\"\n"));
    let manifest = manifest.replacen("\nid = \"wenshui\"\n", &format!("\nid = \"{id}\"\n"), 1)
        + &format!("\n[basemap]\nurl = \"{basemap}\"\nattribution = \"测试底图\"\n");
    std::fs::write(dir.join("plan.toml"), manifest).unwrap();
}

/// The sources a CSP directive allows.
fn directive(csp: &str, name: &str) -> Vec<String> {
    let d = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {csp}"));
    d.split_whitespace().skip(1).map(String::from).collect()
}

#[test]
fn the_csp_allows_every_plans_basemap_and_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    wenshui_as(&data, "east", "https://tiles.east.example/{z}/{x}/{y}.png");
    wenshui_as(&data, "west", "http://127.0.0.1:8099/w/{z}/{x}/{y}.png?k=1");
    let web = web(tmp.path());
    let csp_of = |s: &ServeProcess, path: &str| {
        let r = client().get(format!("{}{path}", s.url)).send().unwrap();
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let s = ServeProcess::start(
        &data,
        &["--web", web.to_str().unwrap(), "--no-history"],
        &[],
    );
    let both = [
        "'self'",
        "http://127.0.0.1:8099",
        "https://tiles.east.example",
    ];
    for path in ["/", "/api/plan", "/plans/west/api/plan"] {
        let csp = csp_of(&s, path);
        assert_eq!(directive(&csp, "connect-src"), both, "{path}: {csp}");
        assert_eq!(
            directive(&csp, "img-src"),
            [&both[..], &["data:", "blob:"]].concat(),
            "{path}: {csp}"
        );
        assert_eq!(directive(&csp, "script-src"), ["'self'"], "{path}: {csp}");
    }
    drop(s);
    // `--basemap` replaces every manifest's: its origin alone.
    let s = ServeProcess::start(
        &data,
        &[
            "--web",
            web.to_str().unwrap(),
            "--no-history",
            "--basemap",
            "https://one.example/{z}/{x}/{y}.png",
        ],
        &[],
    );
    let csp = csp_of(&s, "/");
    assert_eq!(
        directive(&csp, "connect-src"),
        ["'self'", "https://one.example"],
        "{csp}"
    );
}
