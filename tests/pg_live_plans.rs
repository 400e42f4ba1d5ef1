//! A `planmap serve --db` replica (plans from the database, no `--data`) follows the
//! database's list of plans while serving: a plan folder `planmap db load`ed after the
//! replica started is served (listed, checked, drawn), and a plan deleted from
//! `planmap.plans` with plain SQL is not (its URLs answer 404), with no restart. The root
//! URLs keep meaning the plan they meant while it is served; when it is deleted, the first
//! remaining plan. A replica serving `--data` keeps its fixed catalog. The expected answers
//! are independent facts: the hand-made plan's ids and names, the check square's
//! closed-form ellipsoidal area, and which tile the square falls in (the tile scheme).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use planmap_tests::{data_dir, planmap_bin, rect_area_m2, rect_geojson, ServeProcess};
use serde_json::Value;

mod pg_support;
use pg_support::{client, planmap_db, tile_of, wenshui_in_pg};

/// The added plan: its id sorts before Wenshui's, so the first plan in id order changes.
const B: &str = "anping";
/// Its prohibited layer: a 0.05° square.
const RED: (f64, f64, f64, f64) = (100.05, 30.05, 100.10, 30.10);

fn get(base: &str, path: &str) -> (u16, Value) {
    let r = client().get(format!("{base}{path}")).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn ids(base: &str) -> Vec<String> {
    let (status, list) = get(base, "/api/plans");
    assert_eq!(status, 200, "{list}");
    list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until `ok()` holds, up to a generous deadline.
fn until(what: &str, ok: impl Fn() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < Duration::from_secs(30), "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn square_fc(id: &str, name: &str, (x0, y0, x1, y1): (f64, f64, f64, f64)) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"{id}","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#
    )
}

/// A hand-made plan folder: a county of 0.2° square and one prohibited square in it.
fn plan_b(dir: &Path) {
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    let manifest = format!(
        r##"id = "{B}"
name = "安平县国土空间总体规划"
county = "安平县"
county_area_km2 = 430.0
indicators = "indicators.csv"
center = [100.1, 30.1]

[[layers]]
id = "county"
name = "县界"
kind = "boundary"
geometry = "polygon"
color = "#333333"
role = "county"

[[layers]]
id = "red"
name = "生态保护红线"
kind = "protected"
geometry = "polygon"
color = "#ff0000"
site_role = "prohibited"
"##
    );
    std::fs::write(dir.join("plan.toml"), manifest).unwrap();
    std::fs::write(
        dir.join("indicators.csv"),
        "category,no,indicator,unit,baseline_2023,target_2027,target_2035,binding\n\
         绿色发展,1,生态保护红线面积,平方公里,27.0,27.0,27.0,约束性\n",
    )
    .unwrap();
    let county = square_fc("c1", "安平县", (100.0, 30.0, 100.2, 30.2));
    std::fs::write(dir.join("layers/county.geojson"), county).unwrap();
    std::fs::write(
        dir.join("layers/red.geojson"),
        square_fc("r1", "红线一", RED),
    )
    .unwrap();
}

/// The 404 of an unknown plan: a JSON error naming it.
fn assert_unknown(base: &str, path: &str, id: &str) {
    let (status, err) = get(base, path);
    assert_eq!(status, 404, "{path}: {err}");
    assert!(err["error"].as_str().unwrap().contains(id), "{err}");
    assert_eq!(err["plan"], id, "{err}");
}

#[test]
fn a_plan_loaded_after_the_start_is_served_and_a_deleted_one_is_not() {
    let (pg, url) = wenshui_in_pg();
    let wenshui = data_dir();

    let mut c = Command::new(planmap_bin());
    c.args(["serve", "--addr", "127.0.0.1:0", "--db", &url])
        .env_remove("PLANMAP_DB");
    let live = ServeProcess::spawn(c);
    // A replica of plan folders keeps its catalog, whatever the database holds.
    let mut c = Command::new(planmap_bin());
    c.arg("--data")
        .arg(&wenshui)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            &url,
            "--no-history",
        ])
        .env_remove("PLANMAP_DB");
    let fixed = ServeProcess::spawn(c);
    assert_eq!(ids(&live.url), ["wenshui"]);
    let (_, plan_a) = get(&live.url, "/api/plan");
    let name_a = plan_a["name"].as_str().unwrap().to_string();

    // 1. Plan B loaded into the database: served by the replica, no restart.
    let dir = tempfile::tempdir().unwrap();
    let b_dir = dir.path().join(B);
    plan_b(&b_dir);
    planmap_db(&["db", "load", b_dir.to_str().unwrap(), "--db", &url]);
    until("the replica lists the loaded plan", || {
        ids(&live.url) == [B, "wenshui"]
    });
    let (_, list) = get(&live.url, "/api/plans");
    assert_eq!(list["default"], "wenshui", "the root URLs keep their plan");
    let (status, plan_b) = get(&live.url, &format!("/plans/{B}/api/plan"));
    assert_eq!(status, 200, "{plan_b}");
    assert_eq!(plan_b["county"], "安平县");
    // A square inside B's prohibited layer, checked through B's URL.
    let sq = (100.06, 30.06, 100.063, 30.0627);
    let area = rect_area_m2(sq.0, sq.1, sq.2, sq.3);
    let r = client()
        .post(format!("{}/plans/{B}/api/check", live.url))
        .body(rect_geojson(sq.0, sq.1, sq.2, sq.3))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let rep: Value = r.json().unwrap();
    assert_eq!(rep["verdict"], "不通过", "{rep}");
    let site = rep["site_area_m2"].as_f64().unwrap();
    assert!((site / area - 1.0).abs() < 1e-6, "{site} vs {area}");
    let red: f64 = rep["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["layer"] == "red")
        .map(|o| o["area_m2"].as_f64().unwrap())
        .sum();
    assert!((red / area - 1.0).abs() < 1e-6, "{red} vs {area}");
    // A tile of B's red square is drawn; the root's layers are Wenshui's, not B's.
    let (x, y) = tile_of(sq.0, sq.1, 14);
    let tile = client()
        .get(format!("{}/plans/{B}/tiles/red/14/{x}/{y}.pbf", live.url))
        .header("Accept-Encoding", "identity")
        .send()
        .unwrap();
    assert_eq!(tile.status(), 200);
    assert!(!tile.bytes().unwrap().is_empty());
    assert_eq!(get(&live.url, "/api/plan").1["name"], name_a.as_str());
    // The folder replica never serves it.
    assert_eq!(ids(&fixed.url), ["wenshui"]);
    assert_unknown(&fixed.url, &format!("/plans/{B}/api/plan"), B);

    // 2. B deleted with SQL: its URLs answer 404, A still answers.
    pg.psql(
        "plans",
        &format!("DELETE FROM planmap.plans WHERE id = '{B}'"),
    )
    .unwrap();
    until("the replica drops the deleted plan", || {
        ids(&live.url) == ["wenshui"]
    });
    assert_unknown(&live.url, &format!("/plans/{B}/api/plan"), B);
    assert_unknown(
        &live.url,
        &format!("/plans/{B}/tiles/red/14/{x}/{y}.pbf"),
        B,
    );
    let (status, err) = get(&live.url, &format!("/plans/{B}/api/plan"));
    assert_eq!(
        (status, &err["known"]),
        (404, &serde_json::json!(["wenshui"]))
    );
    assert_eq!(get(&live.url, "/api/plan").0, 200);
    assert_eq!(get(&live.url, "/plans/wenshui/api/plan").0, 200);

    // 3. B loaded again and the default plan deleted: the root URLs mean B, the first (and
    // only) plan left; Wenshui's URLs answer 404.
    planmap_db(&["db", "load", b_dir.to_str().unwrap(), "--db", &url]);
    until("the replica lists the plan loaded again", || {
        ids(&live.url) == [B, "wenshui"]
    });
    pg.psql("plans", "DELETE FROM planmap.plans WHERE id = 'wenshui'")
        .unwrap();
    until("the replica drops the default plan", || {
        ids(&live.url) == [B]
    });
    let (_, list) = get(&live.url, "/api/plans");
    assert_eq!(list["default"], B);
    let (status, root) = get(&live.url, "/api/plan");
    assert_eq!((status, &root["county"]), (200, &Value::from("安平县")));
    assert_unknown(&live.url, "/plans/wenshui/api/plan", "wenshui");
}
