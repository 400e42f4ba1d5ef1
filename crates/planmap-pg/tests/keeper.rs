//! A layer kept in the data keeper's own PostGIS table (`[layers.postgis]`), as county data
//! comes: CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525, central meridian 111°E, the
//! zone of Wenshui at ~112.2°E). Three 200 m × 200 m squares drawn in projected metres load,
//! with the ellipsoidal area the Gauss-Krüger scale gives them; a bow-tie row and a row with
//! no geometry are skipped and named by id; an edit with psql (as QGIS would) notifies the
//! plan and changes the layer's version. Read back with psql.

use std::time::Duration;

use planmap_core::{Engine, LayerStore};
use planmap_pg::{listen, load_dir, Change};

mod common;
use common::{env, sql, wait_listening, Env, COUNTY_LAYER};

/// Easting of the squares' west side from the central meridian (m), and their south side.
const X0: f64 = 119_400.0;
const N0: f64 = 4_146_000.0;
/// Zone 37's false easting: the zone number before 500 km.
const FALSE_EASTING: f64 = 37_500_000.0;

/// The plan: a county polygon (lon/lat, in a file) and the keeper's farmland table.
fn keeper_plan(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    std::fs::write(
        dir.join("plan.toml"),
        format!(
            r##"id = "kept"
name = "保有县规划"
county = "保有县"
county_area_km2 = 2000.0
{COUNTY_LAYER}
[[layers]]
id = "farmland"
name = "永久基本农田"
kind = "protected"
geometry = "polygon"
color = "#e6c84f"
site_role = "prohibited"
[layers.postgis]
table = "keeper.farmland"
id_column = "gid"
name_column = "mc"
geometry_column = "geom"
"##
        ),
    )
    .unwrap();
    let county = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"c1","properties":{"name":"保有县"},"geometry":{"type":"Polygon","coordinates":[[[112.0,37.2],[112.7,37.2],[112.7,37.7],[112.0,37.7],[112.0,37.2]]]}}]}"#;
    std::fs::write(dir.join("layers/county.geojson"), county).unwrap();
}

/// The keeper's table: squares 1–3 (200 m sides, 300 m apart), 4 a bow-tie, 5 no geometry.
fn keeper_table(e: &Env, db: &str) {
    let square = |i: usize| {
        let (x, y) = (FALSE_EASTING + X0 + 300.0 * i as f64, N0);
        format!(
            "ST_GeomFromText('MULTIPOLYGON((({x} {y},{} {y},{} {},{x} {},{x} {y})))', 4525)",
            x + 200.0,
            x + 200.0,
            y + 200.0,
            y + 200.0
        )
    };
    let (bx, by) = (FALSE_EASTING + X0, N0 + 1000.0);
    let bowtie = format!(
        "ST_GeomFromText('MULTIPOLYGON((({bx} {by},{} {},{} {by},{bx} {},{bx} {by})))', 4525)",
        bx + 200.0,
        by + 200.0,
        bx + 200.0,
        by + 200.0
    );
    sql(
        e,
        db,
        &format!(
            "CREATE SCHEMA keeper;
             CREATE TABLE keeper.farmland (gid integer PRIMARY KEY, mc text, dlbm text,
                                           geom geometry(MultiPolygon, 4525));
             INSERT INTO keeper.farmland VALUES
               (1, '甲田', '0101', {}), (2, '乙田', '0102', {}), (3, '丙田', '0103', {}),
               (4, '蝶形', '0101', {bowtie}), (5, '无形', '0101', NULL);",
            square(0),
            square(1),
            square(2)
        ),
    );
}

/// The Gauss-Krüger point scale at easting `x` from the central meridian, latitude `lat`
/// (GRS80): k = 1 + x²/(2R²) + x⁴/(24R⁴), R² = M·N (closed form, independent of PROJ).
fn gk_scale(x: f64, lat: f64) -> f64 {
    let (a, f) = (6_378_137.0f64, 1.0 / 298.257_222_101);
    let e2 = f * (2.0 - f);
    let s = lat.to_radians().sin();
    let w = (1.0 - e2 * s * s).sqrt();
    let (m, n) = (a * (1.0 - e2) / w.powi(3), a / w);
    let r2 = m * n;
    1.0 + x * x / (2.0 * r2) + x.powi(4) / (24.0 * r2 * r2)
}

#[test]
fn a_keeper_table_in_gauss_krueger_loads_its_valid_rows_and_reports_the_rest_by_id() {
    let e = env("keeper");
    // EPSG:4525 is zone 37: central meridian 111°E, false easting 37 500 km (PostGIS's own
    // spatial_ref_sys, from the EPSG registry).
    let proj = sql(
        &e,
        "keeper",
        "SELECT proj4text FROM spatial_ref_sys WHERE srid = 4525",
    );
    assert!(
        proj.contains("+lon_0=111 ") && proj.contains("+x_0=37500000 "),
        "{proj}"
    );
    keeper_table(&e, "keeper");
    let tmp = tempfile::tempdir().unwrap();
    keeper_plan(tmp.path());
    let loaded = e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    // Only the county layer is copied; the farmland stays the keeper's, with planmap's trigger.
    assert_eq!(loaded[0].layers.len(), 1);
    assert_eq!(
        sql(
            &e,
            "keeper",
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'keeper.farmland'::regclass"
        ),
        "planmap_notify"
    );
    // Loaded again: still one trigger, one source, one plan reading it.
    e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    assert_eq!(
        sql(
            &e,
            "keeper",
            "SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'keeper.farmland'::regclass) \
             || ' ' || (SELECT count(*) FROM planmap.sources) \
             || ' ' || (SELECT string_agg(plan_id || '/' || layer_id, ',') FROM planmap.source_plans)"
        ),
        "1 1 kept/farmland"
    );

    let plan = e.rt.block_on(e.db.read_plan("kept", None)).unwrap();
    let warnings = plan.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "farmland");
    let w = &warnings[0].1;
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("row 4") && w[0].contains("Self-intersection"),
        "{w:?}"
    );
    assert!(
        w[1].contains("row 5") && w[1].contains("no geometry"),
        "{w:?}"
    );

    let engine = Engine::load(&plan).unwrap();
    let farmland = engine.layer("farmland").unwrap();
    let ids: Vec<&str> = farmland.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    // The name column is each feature's name; the row's other columns its attributes.
    assert_eq!(farmland.features[1].name(), "乙田");
    assert_eq!(
        farmland.features[1].properties.get_str("dlbm").as_deref(),
        Some("0102")
    );
    assert!(farmland.features[1].properties.get("geom").is_none());
    // The squares' latitude, for the scale (to 0.01°, ample for R).
    let lat: f64 = sql(
        &e,
        "keeper",
        "SELECT round(ST_Y(ST_Transform(ST_Centroid(geom), 4490))::numeric, 2) \
         FROM keeper.farmland WHERE gid = 2",
    )
    .parse()
    .unwrap();
    for (i, area) in farmland.areas.iter().enumerate() {
        let k = gk_scale(X0 + 300.0 * i as f64 + 100.0, lat);
        let want = 40_000.0 / (k * k);
        // The scale is ~1.0003 here: 11 m² off 40 000, the test's tolerance 0.5 m².
        assert!(40_000.0 - want > 10.0, "{want}");
        assert!(
            (area - want).abs() < 0.5,
            "square {}: {area} vs {want}",
            i + 1
        );
    }
    // Its version is the table's change counter.
    let v0 = plan.version("farmland").unwrap();
    assert_eq!(v0, "pg-table:keeper.farmland:0");
}

#[test]
fn an_edit_of_the_keeper_table_notifies_the_plan_and_changes_the_layers_version() {
    let e = env("edits");
    keeper_table(&e, "edits");
    let tmp = tempfile::tempdir().unwrap();
    keeper_plan(tmp.path());
    e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    let before = e.rt.block_on(e.db.read_plan("kept", None)).unwrap();

    let mut rx = {
        let _in = e.rt.enter();
        listen(e.cfg.clone())
    };
    wait_listening(&e, "edits");
    let mut next = || {
        e.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .ok()
                .flatten()
        })
    };
    // Listening: first a resync (what changed before the LISTEN was not heard).
    assert_eq!(next(), Some(Change::Resync));
    // The bow-tie mended, as a keeper in QGIS would: a plain UPDATE.
    sql(
        &e,
        "edits",
        &format!(
            "UPDATE keeper.farmland SET geom = ST_GeomFromText('MULTIPOLYGON((({x} {y},{} {y},\
             {} {},{x} {},{x} {y})))', 4525) WHERE gid = 4",
            FALSE_EASTING + X0 + 200.0,
            FALSE_EASTING + X0 + 200.0,
            N0 + 1200.0,
            N0 + 1200.0,
            x = FALSE_EASTING + X0,
            y = N0 + 1000.0
        ),
    );
    let got = next();
    assert_eq!(got, Some(Change::Plan("kept".into())));
    assert_eq!(
        sql(
            &e,
            "edits",
            "SELECT changes FROM planmap.sources WHERE regclass = 'keeper.farmland'"
        ),
        "1"
    );
    let after = e.rt.block_on(e.db.read_plan("kept", None)).unwrap();
    assert_ne!(
        after.version("farmland").unwrap(),
        before.version("farmland").unwrap()
    );
    // Now four squares load; only the row with no geometry is reported.
    assert_eq!(after.features("farmland").unwrap().len(), 4);
    let w = after.warnings();
    assert_eq!(w[0].1.len(), 1, "{w:?}");
    assert!(w[0].1[0].contains("row 5"), "{w:?}");
    // The county layer, a stored version, is untouched.
    assert_eq!(
        after.version("county").unwrap(),
        before.version("county").unwrap()
    );
}
