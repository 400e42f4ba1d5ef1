//! A catalog of plans served by one `planmap serve`: 汾阳市 (141182, written by `planmap-datagen
//! region --only 141182` into a temp folder) and Wenshui's folder linked beside it. The plan
//! list and outlines, every plan path under `/plans/{plan}/` and the root ones for the default
//! plan, an unknown plan's 404, a site across the Wenshui–汾阳 line answered by both plans
//! (the parts' areas against geo's boolean intersection of the outline files and geo's
//! geodesic area — Karney's, not the engine's), the check history by plan, and a memory
//! budget that evicts one plan for the other and loads it again with the same answer.

mod catalog_support;

use std::path::{Path, PathBuf};

use catalog_support::*;
use geo::GeodesicArea;
use planmap_tests::{rect_area_m2, rect_geojson, root, ServeProcess};
use serde_json::Value;

const TOKEN: &str = "catalog-test-token-0123456789";
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
        assert_across(&a, &data);
        let plans = a["plans"].as_array().unwrap();
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

/// `planmap --data CATALOG check SITE ARGS`.
fn check_cli(data: &Path, site: &Path, args: &[&str]) -> std::process::Output {
    use std::ffi::OsStr;
    let mut all: Vec<&OsStr> = vec![OsStr::new("--data"), data.as_os_str(), OsStr::new("check")];
    all.push(site.as_os_str());
    all.extend(args.iter().map(OsStr::new));
    cli(&all)
}

fn stdout_json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_cli_checks_a_site_across_a_county_line_against_a_catalog_as_the_server_does() {
    let tmp = region();
    let sites = tempfile::tempdir().unwrap();
    let across = site_file(sites.path(), "across.geojson", ACROSS);

    // Both plans, the parts the outline files' own, the strictest verdict; the first plan's
    // report leads.
    let a = stdout_json(&check_cli(tmp.path(), &across, &["--json"]));
    assert_across(&a, tmp.path());
    assert_eq!(a["verdict"], a["plans"][0]["verdict"]);
    assert_eq!(a["overlaps"], a["plans"][0]["report"]["overlaps"]);
    assert!(a["data_version"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{FENYANG}-")));

    // The server's answer for the same site on the same catalog, at its root (its default
    // plan the first id, as the CLI's lead): the same JSON. Nothing in either body differs by
    // nature — the history id is a header (`Planmap-History-Id`), and `input` is there only
    // for a site file that is not lon/lat GeoJSON.
    let s = ServeProcess::start(tmp.path(), &["--no-history"], &[]);
    assert_eq!(check(&s, "/api/check", ACROSS), a);
    // The GeoJSON: the lead's FeatureCollection with both plans as foreign members, as the
    // server's format=geojson.
    let g = stdout_json(&check_cli(tmp.path(), &across, &["--geojson"]));
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["plans"], a["plans"]);
    assert_eq!(g["overall_verdict"], a["overall_verdict"]);
    assert_eq!(check(&s, "/api/check?format=geojson", ACROSS), g);
    drop(s);

    // For people: one block a plan with its name and area in its county, then the overall.
    let page = sites.path().join("report.html");
    let o = check_cli(tmp.path(), &across, &["--report", page.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for p in a["plans"].as_array().unwrap() {
        let head = format!(
            "== {} {} — 县内面积 area in its county: {:.1} m² ==",
            p["plan"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
            p["area_m2"].as_f64().unwrap()
        );
        assert!(text.contains(&head), "{head} not in {text}");
    }
    let last = text.trim_end().lines().last().unwrap();
    let overall = a["overall_verdict"].as_str().unwrap();
    assert!(
        last.starts_with(&format!("总体结论 overall verdict: {overall} (")),
        "{last}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"across\""), "the report lists the plans");
    assert!(html.contains(a["plans"][1]["name"].as_str().unwrap()));
}

#[test]
fn the_cli_checks_a_site_in_one_county_of_a_catalog_as_that_plan_and_refuses_one_in_none() {
    let tmp = region();
    let sites = tempfile::tempdir().unwrap();
    let inside = site_file(sites.path(), "inside.geojson", IN_WENSHUI);
    let wenshui = root().join("data/wenshui");
    // Exactly the plan folder's own output, whatever the form.
    for args in [&["--json"][..], &["--geojson"], &[]] {
        let from_catalog = check_cli(tmp.path(), &inside, args);
        let from_plan = check_cli(&wenshui, &inside, args);
        assert!(from_catalog.status.success(), "{args:?}");
        assert_eq!(from_catalog.stdout, from_plan.stdout, "{args:?}");
    }

    // Outside every county (Beijing): exit 2, one line naming the catalog.
    let away = site_file(sites.path(), "away.geojson", (116.39, 39.90, 116.40, 39.91));
    let o = check_cli(tmp.path(), &away, &["--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("none of the counties"), "{err}");
    assert!(err.contains(&tmp.path().display().to_string()), "{err}");

    // A batch of sites still wants one plan: one line, exit 2.
    let o = check_cli(tmp.path(), &inside, &["--each"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("is a catalog of 2 plans"), "{err}");
}
