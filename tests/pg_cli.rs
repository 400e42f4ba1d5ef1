//! `planmap db` as an operator meets it, against a throwaway PostgreSQL + PostGIS cluster
//! (planmap-testenv): the schema created, a second run a no-op, bad input one line; Wenshui
//! loaded, read, imported into, described (`db status`) and pruned (`db prune`); a two-plan
//! catalog loaded, a site across its county line checked without `--plan` as the folder
//! catalog checks it.

mod catalog_support;

use std::process::{Command, Output};

use planmap_testenv::PgCluster;
use planmap_tests::*;

fn db(args: &[&str], env_db: Option<&str>) -> Output {
    let mut c = Command::new(planmap_bin());
    c.arg("db").args(args).env_remove("PLANMAP_DB");
    if let Some(url) = env_db {
        c.env("PLANMAP_DB", url);
    }
    c.output().expect("run planmap db")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn db_init_creates_the_schema_once() {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("county").unwrap();
    let url = pg.url("county");

    let o = db(&["init", "--db", &url], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("schema version 0 →"), "{out}");
    assert!(out.contains("applied 1: "), "{out}");
    let tables = pg
        .psql(
            "county",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'planmap' \
             AND tablename IN ('plans', 'layers', 'layer_versions', 'features', 'checks')",
        )
        .unwrap();
    assert_eq!(tables, "5");
    let migrations = pg
        .psql("county", "SELECT count(*) FROM planmap.migrations")
        .unwrap();

    // PLANMAP_DB instead of --db; nothing left to do.
    let o = db(&["init"], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("nothing to do"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        pg.psql("county", "SELECT count(*) FROM planmap.migrations")
            .unwrap(),
        migrations
    );
}

#[test]
fn db_init_refuses_bad_input_in_one_line() {
    // No database named: the user's to fix (exit 2).
    let o = db(&["init"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--db"), "{err}");

    // Not a URL, and its password never printed.
    let o = db(
        &["init", "--db", "postgres://keeper:s3cret@host:port/db"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        !err.contains("s3cret") && err.contains("not a PostgreSQL URL"),
        "{err}"
    );

    // Nothing listening there: exit 1, naming the address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/county");
    let o = db(&["init", "--db", &url], None);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}/county")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// `planmap ARGS` with neither PLANMAP_DATA nor PLANMAP_DB from the environment.
fn planmap_clean(args: &[&str]) -> Output {
    Command::new(planmap_bin())
        .args(args)
        .env_remove("PLANMAP_DB")
        .env_remove("PLANMAP_DATA")
        .output()
        .expect("run planmap")
}

fn ok_json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", text(&o.stderr));
    json_out(o)
}

/// A stats JSON without what names where the data came from (the layers' versions).
fn figures(mut s: serde_json::Value) -> serde_json::Value {
    s.as_object_mut().unwrap().remove("data_version");
    for l in s["layers"].as_array_mut().unwrap() {
        l.as_object_mut().unwrap().remove("version");
    }
    s
}

/// The member of a JSON array whose `key` is `value`.
fn member(list: &serde_json::Value, key: &str, value: &str) -> serde_json::Value {
    let found = list
        .as_array()
        .and_then(|a| a.iter().find(|x| x[key] == value));
    found
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
        .clone()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn wenshui_loaded_into_the_database_gives_the_folders_figures_and_checks() {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("county").unwrap();
    let url = pg.url("county");
    let data = data_dir();
    let data = data.to_str().unwrap();
    assert!(db(&["init", "--db", &url], None).status.success());

    let o = db(&["load", data], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("loaded plan 'wenshui'"),
        "{}",
        text(&o.stdout)
    );

    // psql's count of each layer's current features equals the file's.
    let stats_folder = ok_json(&planmap_clean(&["--data", data, "stats", "--json"]));
    for l in stats_folder["layers"].as_array().unwrap() {
        let id = l["id"].as_str().unwrap();
        let n = layer_json(id)["features"].as_array().unwrap().len();
        let q = format!(
            "SELECT count(*) FROM planmap.features f JOIN planmap.layers l USING (plan_id, layer_id) \
             WHERE f.plan_id = 'wenshui' AND f.layer_id = '{id}' AND f.version = l.current_version"
        );
        assert_eq!(pg.psql("county", &q).unwrap(), n.to_string(), "{id}");
    }

    // stats from the database: the folder's figures, and the plan's published ones.
    let s = ok_json(&planmap_clean(&["stats", "--json", "--db", &url]));
    assert_eq!(figures(s.clone()), figures(stats_folder));
    let layer = |id: &str| member(&s["layers"], "id", id);
    // Indicator 1: 生态保护红线 367.4 km²; indicator 2: 永久基本农田 46.44 万亩; the county
    // 1068.57 km²; 7 镇 5 乡.
    assert!(rel(layer("red_line")["area_km2"].as_f64().unwrap(), 367.4) < 0.005);
    assert!(rel(layer("farmland")["area_mu"].as_f64().unwrap(), 464_400.0) < 0.005);
    assert!(rel(layer("county")["area_km2"].as_f64().unwrap(), 1068.57) < 0.003);
    assert_eq!(layer("townships")["features"], 12);
    assert!(layer("red_line")["version"]
        .as_str()
        .unwrap()
        .starts_with("pg:1:"));

    // A hand-built site inside the red line: the folder's answer, the closed-form area.
    let (r, id) = square_inside("red_line", 0.001, &[]);
    let site = temp_file("pg-red-site.geojson", &rect_geojson(r.0, r.1, r.2, r.3));
    let site = site.to_str().unwrap();
    let from_db = ok_json(&planmap_clean(&["check", site, "--json", "--db", &url]));
    let from_dir = ok_json(&planmap_clean(&["--data", data, "check", site, "--json"]));
    assert_eq!(from_db["verdict"], "不通过");
    assert_eq!(from_db["verdict"], from_dir["verdict"]);
    let expected = rect_area_m2(r.0, r.1, r.2, r.3);
    let area = from_db["site_area_m2"].as_f64().unwrap();
    assert!(rel(area, expected) < 1e-5, "{area} vs {expected}");
    let overlap = |rep: &serde_json::Value| member(&rep["overlaps"], "layer", "red_line");
    let (a, b) = (overlap(&from_db), overlap(&from_dir));
    assert!(
        rel(
            a["area_m2"].as_f64().unwrap(),
            b["area_m2"].as_f64().unwrap()
        ) < 1e-9
    );
    assert!(a["feature_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == &id));
    assert_eq!(a["feature_ids"], b["feature_ids"]);

    // An export from the database: the file's features, the same ids.
    let o = planmap_clean(&["export", "townships", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let fc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids = |v: &serde_json::Value| {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&fc), ids(&layer_json("townships")));

    // An import into the database: two squares as the parks' version 2, switched to; version
    // 1 kept; the stats from the database measure the squares in closed form.
    let (a, b) = (
        (112.0, 37.40, 112.01, 37.41),
        (112.02, 37.40, 112.03, 37.41),
    );
    let parks = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"p1","properties":{{"name":"甲园"}},"geometry":{}}},{{"type":"Feature","id":"p2","properties":{{"name":"乙园"}},"geometry":{}}}]}}"#,
        rect_geojson(a.0, a.1, a.2, a.3),
        rect_geojson(b.0, b.1, b.2, b.3)
    );
    let file = temp_file("pg-parks.geojson", &parks);
    let file = file.to_str().unwrap();
    let o = planmap_clean(&["import", file, "--layer", "industrial_parks", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("version 2"), "{}", text(&o.stdout));
    let q = "SELECT l.current_version || ' ' || (SELECT string_agg(version || ':' || features, ',' \
             ORDER BY version) FROM planmap.layer_versions v WHERE v.plan_id = l.plan_id \
             AND v.layer_id = l.layer_id) FROM planmap.layers l WHERE layer_id = 'industrial_parks'";
    let n1 = layer_json("industrial_parks")["features"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(pg.psql("county", q).unwrap(), format!("2 1:{n1},2:2"));
    let s = ok_json(&planmap_clean(&["stats", "--json", "--db", &url]));
    let p = member(&s["layers"], "id", "industrial_parks");
    assert_eq!(p["features"], 2);
    let want = rect_area_m2(a.0, a.1, a.2, a.3) + rect_area_m2(b.0, b.1, b.2, b.3);
    assert!(
        rel(p["area_m2"].as_f64().unwrap(), want) < 1e-6,
        "{p} vs {want}"
    );
    assert!(p["version"].as_str().unwrap().starts_with("pg:2:"), "{p}");

    // Status: the parks serve version 2 of 2 features and keep versions 1–2.
    let o = db(&["status", "--plan", "wenshui"], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("industrial_parks:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        line.trim(),
        format!(
            "industrial_parks: version 2 (2 features); versions kept 1–2 ({} features)",
            n1 + 2
        )
    );
    // A dry prune removes nothing; a prune to one version removes the parks' version 1 (the
    // only layer with two) and its rows; the stats are the same after.
    let o = db(&["prune", "--keep", "1", "--dry-run"], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("would remove 1 old version"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(pg.psql("county", q).unwrap(), format!("2 1:{n1},2:2"));
    let o = db(&["prune", "--keep", "1"], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("removed 1 old version ({n1} features) of 1 layer"))
            && out.contains("layer 'industrial_parks': versions 1 "),
        "{out}"
    );
    assert_eq!(pg.psql("county", q).unwrap(), "2 2:2");
    let rows = "SELECT count(*) FROM planmap.features WHERE layer_id = 'industrial_parks'";
    assert_eq!(pg.psql("county", rows).unwrap(), "2");
    let again = ok_json(&planmap_clean(&["stats", "--json", "--db", &url]));
    assert_eq!(again, s);

    // Bad input: one line, exit 2.
    for (args, says) in [
        (vec!["--data", data, "stats", "--db", &url], "--data"),
        (vec!["stats", "--db", &url, "--plan", "nope"], "nope"),
        (
            vec!["import", file, "--layer", "nope", "--db", &url],
            "nope",
        ),
        (
            vec!["db", "load", "/nonexistent/plans", "--db", &url],
            "/nonexistent/plans",
        ),
    ] {
        let o = planmap_clean(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
}

/// A plan folder whose farmland layer is the keeper's table `keeper.farmland`, in UTM zone
/// 49N (EPSG:32649, WGS84, central meridian 111°E): rows 1–3 squares of 200 m a side drawn in
/// metres 120 km east of the meridian, 4 a bow-tie, 5 no geometry.
fn keeper_fixture(pg: &PgCluster, db: &str) -> std::path::PathBuf {
    let dir = scratch(&format!("keeper-{db}"));
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    let manifest = "id = \"kept\"\nname = \"保有县\"\ncounty = \"保有县\"\ncounty_area_km2 = 2000.0\n\
        [[layers]]\nid = \"county\"\nname = \"县界\"\nkind = \"boundary\"\ngeometry = \"polygon\"\n\
        color = \"#333333\"\nrole = \"county\"\n\
        [[layers]]\nid = \"farmland\"\nname = \"农田\"\nkind = \"protected\"\ngeometry = \"polygon\"\n\
        color = \"#e6c84f\"\n[layers.postgis]\ntable = \"keeper.farmland\"\nid_column = \"gid\"\n\
        geometry_column = \"geom\"\n";
    std::fs::write(dir.join("plan.toml"), manifest).unwrap();
    std::fs::write(
        dir.join("layers/county.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"c","properties":{{}},"geometry":{}}}]}}"#,
            rect_geojson(112.0, 37.0, 113.0, 38.0)
        ),
    )
    .unwrap();
    let sq = |x: f64, y: f64, bow: bool| {
        let (x1, y1) = (x + 200.0, y + 200.0);
        let ring = if bow {
            format!("{x} {y},{x1} {y1},{x1} {y},{x} {y1},{x} {y}")
        } else {
            format!("{x} {y},{x1} {y},{x1} {y1},{x} {y1},{x} {y}")
        };
        format!("ST_GeomFromText('POLYGON(({ring}))', 32649)")
    };
    let e = 500_000.0 + 120_000.0;
    pg.psql(
        db,
        &format!(
            "CREATE SCHEMA keeper; CREATE TABLE keeper.farmland (gid int PRIMARY KEY, \
             geom geometry(Polygon, 32649)); INSERT INTO keeper.farmland VALUES \
             (1, {}), (2, {}), (3, {}), (4, {}), (5, NULL)",
            sq(e, 4_150_000.0, false),
            sq(e + 300.0, 4_150_000.0, false),
            sq(e + 600.0, 4_150_000.0, false),
            sq(e, 4_151_000.0, true)
        ),
    )
    .unwrap();
    dir
}

#[test]
fn a_keeper_table_loads_its_valid_rows_and_names_the_others() {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("kept").unwrap();
    let url = pg.url("kept");
    assert!(db(&["init", "--db", &url], None).status.success());
    let dir = keeper_fixture(&pg, "kept");
    let d = dir.to_str().unwrap();

    // The folder alone cannot serve it: one line naming the layer.
    let o = planmap_clean(&["--data", d, "stats"]);
    let err = text(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("'farmland'") && err.contains("needs --db"),
        "{err}"
    );

    // A loader that does not own the keeper's table cannot put the trigger on it.
    pg.psql(
        "kept",
        "CREATE ROLE loader LOGIN; GRANT USAGE ON SCHEMA planmap, keeper TO loader; \
         GRANT ALL ON ALL TABLES IN SCHEMA planmap TO loader; \
         GRANT SELECT ON keeper.farmland TO loader",
    )
    .unwrap();
    let o = db(
        &["load", d, "--db", &url.replace("postgres@", "loader@")],
        None,
    );
    let err = text(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("keeper.farmland needs its owner"), "{err}");
    assert_eq!(
        pg.psql("kept", "SELECT count(*) FROM planmap.plans")
            .unwrap(),
        "0"
    );

    let o = db(&["load", d, "--db", &url], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = planmap_clean(&["stats", "--json", "--db", &url]);
    let s = ok_json(&o);
    let f = member(&s["layers"], "id", "farmland");
    assert_eq!(f["features"], 3, "{f}");
    // UTM's scale 120 km east of the meridian at 37.5°N: k = 0.9996 (1 + x²/2R²), x = 120.1 km.
    let k = 0.9996 * (1.0 + 120_100.0f64.powi(2) / (2.0 * 6_372_800.0f64.powi(2)));
    let want = 3.0 * 40_000.0 / (k * k);
    // (1/k² is 1.00045: 54 m² over the 120 000 of the squares in metres.)
    assert!(
        rel(f["area_m2"].as_f64().unwrap(), want) < 1e-5,
        "{f} vs {want}"
    );
    assert!(
        f["version"]
            .as_str()
            .unwrap()
            .starts_with("pg-table:keeper.farmland:"),
        "{f}"
    );
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("row 4") && lines[0].contains("Self-intersection"),
        "{err}"
    );
    assert!(
        lines[1].contains("row 5") && lines[1].contains("no geometry"),
        "{err}"
    );

    // A replica serving the database names the same rows in /api/plan, by layer.
    let r = planmap_testenv::Replica::start(&planmap_bin(), None, &["--db", &url], &[])
        .unwrap_or_else(|e| panic!("a replica: {e}"));
    let plan: serde_json::Value = reqwest::blocking::get(format!("{}/api/plan", r.url()))
        .unwrap()
        .json()
        .unwrap();
    let skipped = &plan["skipped_rows"];
    assert_eq!(skipped.as_array().map(Vec::len), Some(1), "{skipped}");
    assert_eq!(skipped[0]["layer"], "farmland");
    let rows: Vec<&str> = skipped[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{skipped}");
    assert!(
        rows[0].contains("row 4") && rows[1].contains("row 5"),
        "{skipped}"
    );
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `a` and `b` alike but for `data_version` (it names where the data came from) and numbers
/// within 1e-9 of each other (geometry read back from PostGIS's WKB).
fn alike(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys = |m: &serde_json::Map<String, serde_json::Value>| {
                let mut k: Vec<String> =
                    m.keys().filter(|k| *k != "data_version").cloned().collect();
                k.sort();
                k
            };
            assert_eq!(keys(x), keys(y), "{at}");
            for k in keys(x) {
                alike(&x[&k], &y[&k], &format!("{at}.{k}"));
            }
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                alike(u, v, &format!("{at}[{i}]"));
            }
        }
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{at}: {x} vs {y}");
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn a_catalog_in_the_database_checks_a_site_across_a_county_line_as_its_folders() {
    use catalog_support::{assert_across, region, site_file, ACROSS, FENYANG};
    let tmp = region();
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("region").unwrap();
    let url = pg.url("region");
    let catalog = tmp.path().to_str().unwrap();
    for args in [
        &["init", "--db", &url][..],
        &["load", catalog, "--db", &url],
    ] {
        let o = db(args, None);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    let sites = tempfile::tempdir().unwrap();
    let across = site_file(sites.path(), "across.geojson", ACROSS);
    let site = across.to_str().unwrap();

    // Without --plan: both plans, as the folder catalog answers.
    let from_db = ok_json(&planmap_clean(&["check", site, "--json", "--db", &url]));
    assert_across(&from_db, tmp.path());
    let from_dir = ok_json(&planmap_clean(&[
        "--data", catalog, "check", site, "--json",
    ]));
    alike(&from_db, &from_dir, "check");
    assert!(from_db["data_version"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{FENYANG}-")));

    // --plan keeps to one plan: its own report.
    let one = ok_json(&planmap_clean(&[
        "check", site, "--json", "--db", &url, "--plan", "wenshui",
    ]));
    assert!(one.get("plans").is_none(), "one plan's report");
    alike(&one, &from_dir["plans"][1]["report"], "--plan wenshui");
}
