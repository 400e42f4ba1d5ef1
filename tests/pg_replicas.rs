//! Two `planmap serve --db` replicas over one throwaway PostgreSQL + PostGIS cluster
//! (planmap-testenv), plans loaded from the database: a layer imported through replica A,
//! and a row then changed with plain SQL (as QGIS would), are served by replica B — its
//! checks, its layer GeoJSON and its tiles — with no restart and no call to B. B learns of
//! both through LISTEN/NOTIFY. The expected answers are independent facts: the imported
//! square's closed-form ellipsoidal area, the feature ids and names the test wrote, and which
//! tile the square falls in (computed here from the tile scheme).

use std::process::Command;
use std::time::{Duration, Instant};

use planmap_tests::{planmap_bin, rect_area_m2, rect_geojson, ServeProcess};
use serde_json::{json, Value};

mod pg_support;
use pg_support::{client, tile_of, wenshui_in_pg};

const TOKEN: &str = "replica-test-token-0123456789";

fn get_json(base: &str, path: &str) -> Value {
    let r = client().get(format!("{base}{path}")).send().unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().unwrap()
}

/// The area (m²) the check of `site` at `base` finds on layer `layer` (0 when none).
fn overlap(base: &str, layer: &str, site: (f64, f64, f64, f64)) -> f64 {
    let r = client()
        .post(format!("{base}/api/check"))
        .body(rect_geojson(site.0, site.1, site.2, site.3))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "check at {base}");
    let v: Value = r.json().unwrap();
    v["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["layer"] == layer)
        .map(|o| o["area_m2"].as_f64().unwrap())
        .sum()
}

/// Bytes of one layer's tile (0: an empty tile, whatever status says so).
fn tile_bytes(base: &str, layer: &str, z: u32, (x, y): (u32, u32)) -> usize {
    let r = client()
        .get(format!("{base}/tiles/{layer}/{z}/{x}/{y}.pbf"))
        .header("Accept-Encoding", "identity")
        .send()
        .unwrap();
    let status = r.status().as_u16();
    assert!(status == 200 || status == 204, "tile status {status}");
    r.bytes().unwrap().len()
}

/// Waits until `ok()` holds, up to a generous deadline; how long it took.
fn until(what: &str, ok: impl Fn() -> bool) -> Duration {
    let t = Instant::now();
    while !ok() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "replica B never served {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.elapsed()
}

fn replica(url: &str) -> ServeProcess {
    let mut c = Command::new(planmap_bin());
    c.args(["serve", "--addr", "127.0.0.1:0", "--db", url])
        .env("PLANMAP_ADMIN_TOKEN", TOKEN)
        .env_remove("PLANMAP_DB");
    ServeProcess::spawn(c)
}

#[test]
fn an_import_through_one_replica_and_an_sql_edit_are_served_by_the_other() {
    let (pg, url) = wenshui_in_pg();

    let a = replica(&url);
    let b = replica(&url);
    // The red line layer, found by its role.
    let plan = get_json(&b.url, "/api/plan");
    let red = plan["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["role"] == "red_line")
        .expect("a red_line layer")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let [lon, lat] = [
        plan["center"][0].as_f64().unwrap(),
        plan["center"][1].as_f64().unwrap(),
    ];
    // A 300 m square near the county's centre, and the same square 0.05° east.
    let sq = (lon, lat, lon + 0.003, lat + 0.0027);
    let moved = (sq.0 + 0.05, sq.1, sq.2 + 0.05, sq.3);
    let z = 14;
    let (t_sq, t_moved) = (
        tile_of(sq.0 + 0.0015, sq.1 + 0.0013, z),
        tile_of(moved.0 + 0.0015, moved.1 + 0.0013, z),
    );
    assert_ne!(t_sq, t_moved);

    // 1. The keeper imports a red line of one square through replica A.
    let layer = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "HX-TEST-1", "properties": {"name": "试验红线"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [sq.0, sq.1], [sq.2, sq.1], [sq.2, sq.3], [sq.0, sq.3], [sq.0, sq.1]]]}}]});
    let r = client()
        .put(format!("{}/api/admin/layers/{red}", a.url))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/geo+json")
        .body(layer.to_string())
        .send()
        .unwrap();
    let status = r.status();
    let imported: Value = r.json().unwrap();
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["features"], 1, "{imported}");
    let area = rect_area_m2(sq.0, sq.1, sq.2, sq.3);
    // A serves it at once (the import's answer waited for A's reload).
    assert!((overlap(&a.url, &red, sq) - area).abs() / area < 1e-6);
    // B, told by the database, serves it too: its check, its GeoJSON, its tile.
    let took = until("the import", || {
        (overlap(&b.url, &red, sq) - area).abs() / area < 1e-6
    });
    eprintln!("replica B served the import {took:?} after A answered it");
    let fc = get_json(&b.url, &format!("/api/layers/{red}.geojson"));
    let ids: Vec<&Value> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(ids, [&json!("HX-TEST-1")]);
    assert!(tile_bytes(&b.url, &red, z, t_sq) > 0);
    assert_eq!(tile_bytes(&b.url, &red, z, t_moved), 0);

    // 2. A row changed with plain SQL, as QGIS saves an edit: moved east and renamed.
    pg.psql(
        "plans",
        &format!(
            "UPDATE planmap.features f SET geom = ST_Translate(f.geom, 0.05, 0), \
             properties = '{{\"name\": \"QGIS 移动后\"}}'::json \
             FROM planmap.layers l WHERE f.plan_id = l.plan_id AND f.layer_id = l.layer_id \
             AND f.version = l.current_version AND l.layer_id = '{red}'"
        ),
    )
    .unwrap();
    let moved_area = rect_area_m2(moved.0, moved.1, moved.2, moved.3);
    let took = until("the SQL edit", || {
        (overlap(&b.url, &red, moved) - moved_area).abs() / moved_area < 1e-6
    });
    eprintln!("replica B served the SQL edit {took:?} after its commit");
    assert_eq!(overlap(&b.url, &red, sq), 0.0);
    let fc = get_json(&b.url, &format!("/api/layers/{red}.geojson"));
    assert_eq!(fc["features"][0]["properties"]["name"], "QGIS 移动后");
    assert_eq!(tile_bytes(&b.url, &red, z, t_sq), 0);
    assert!(tile_bytes(&b.url, &red, z, t_moved) > 0);
    // A too (it also listens).
    until("the SQL edit on A", || {
        (overlap(&a.url, &red, moved) - moved_area).abs() / moved_area < 1e-6
    });
    // The edit changed the served version; the import's version row is untouched.
    let versions = pg
        .psql(
            "plans",
            &format!("SELECT count(*) FROM planmap.layer_versions WHERE layer_id = '{red}'"),
        )
        .unwrap();
    assert_eq!(versions, "2", "the loaded version and the imported one");
}
