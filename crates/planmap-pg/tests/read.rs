//! A plan folder loaded into a real PostgreSQL 15 + PostGIS 3 (planmap-testenv) and read back:
//! with `psql` (a reader independent of planmap-pg) and with `read_plan`, which must give the
//! very features, versions and indicators the folder gives.

use planmap_core::{Engine, LayerStore};
use planmap_io::PlanDir;
use planmap_pg::{load_dir, PgError};

mod common;
use common::{env, sql, tiny_plan, ulp_off};

#[test]
fn a_plan_folder_goes_in_and_comes_back_as_the_folder_gives_it() {
    let e = env("store");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    tiny_plan(&dir, "tiny");

    let loaded = e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].id, "tiny");
    let counts: Vec<(String, i32, usize)> = loaded[0]
        .layers
        .iter()
        .map(|l| (l.id.clone(), l.version, l.features))
        .collect();
    assert_eq!(
        counts,
        [
            ("county".into(), 1, 1),
            ("red".into(), 1, 1),
            ("wells".into(), 1, 2)
        ]
    );

    // Read back by psql: the corner one ulp off 112.3, exactly (PostgreSQL prints a float8
    // with the shortest digits that read back to it).
    let xmin = sql(
        &e,
        "store",
        "SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) \
         FROM planmap.features WHERE layer_id = 'county'",
    );
    assert_eq!(xmin.parse::<f64>().unwrap().to_bits(), ulp_off().to_bits());
    // The attributes' text as the file had it (keys unsorted), SRID 4326, current version 1.
    assert_eq!(
        sql(
            &e,
            "store",
            "SELECT properties::text || ' ' || ST_SRID(geom) FROM planmap.features WHERE fid = 'r1'"
        ),
        r#"{"name":"红线一","b":1,"a":"x"} 4326"#
    );
    assert_eq!(
        sql(
            &e,
            "store",
            "SELECT string_agg(layer_id || '=' || current_version, ',' ORDER BY layer_id) \
             FROM planmap.layers"
        ),
        "county=1,red=1,wells=1"
    );
    // Red's square, measured by PostGIS on the spheroid: 2.2e6 m² or so, the same figure.
    let pg_area: f64 = sql(
        &e,
        "store",
        "SELECT ST_Area(geom::geography, true) FROM planmap.features WHERE fid = 'r1'",
    )
    .parse()
    .unwrap();

    // Read back by read_plan: what the folder gives, feature for feature.
    let folder = PlanDir::open(&dir).unwrap();
    assert_eq!(e.rt.block_on(e.db.plan_ids()).unwrap(), ["tiny"]);
    let plan = e.rt.block_on(e.db.read_plan("tiny", None)).unwrap();
    assert_eq!(plan.id(), "tiny");
    for l in ["county", "red", "wells"] {
        assert_eq!(
            plan.features(l).unwrap(),
            folder.features(l).unwrap(),
            "{l}"
        );
        assert_eq!(
            plan.version(l).unwrap(),
            format!("pg:1:{}", folder.version(l).unwrap())
        );
    }
    let x = plan.features("county").unwrap()[0]
        .shape
        .as_polygon()
        .unwrap()
        .0[0]
        .exterior()
        .0[0]
        .x;
    assert_eq!(x.to_bits(), ulp_off().to_bits());
    assert_eq!(plan.indicators().unwrap(), folder.indicators().unwrap());
    assert_eq!(plan.plan().unwrap().name, "小县规划");
    // The same engine: the same stats, and the red square's area agrees with PostGIS's.
    let (a, b) = (Engine::load(&plan).unwrap(), Engine::load(&folder).unwrap());
    let (sa, sb) = (a.stats(), b.stats());
    let figures = |s: &planmap_core::stats::PlanStats| {
        s.layers
            .iter()
            .map(|l| (l.id.clone(), l.features, l.area_m2.to_bits(), l.bbox))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&sa), figures(&sb));
    let red = sa.layers.iter().find(|l| l.id == "red").unwrap();
    assert!(
        (red.area_m2 - pg_area).abs() / pg_area < 1e-6,
        "{} vs PostGIS {pg_area}",
        red.area_m2
    );

    // `only`: the features of the county alone; the others keep their version.
    let only =
        e.rt.block_on(e.db.read_plan("tiny", Some(&["county".to_string()])))
            .unwrap();
    assert_eq!(only.features("county").unwrap().len(), 1);
    assert!(only.features("wells").unwrap().is_empty());
    assert_eq!(
        only.version("wells").unwrap(),
        plan.version("wells").unwrap()
    );

    // An unknown plan.
    match e.rt.block_on(e.db.read_plan("nope", None)) {
        Err(PgError::NoPlan { id }) => assert_eq!(id, "nope"),
        other => panic!("{other:?}"),
    }

    // Loading again: version 2 of each layer, version 1 kept.
    let again = e.rt.block_on(load_dir(&e.db, &dir)).unwrap();
    assert!(again[0].layers.iter().all(|l| l.version == 2));
    assert_eq!(
        sql(
            &e,
            "store",
            "SELECT count(*) || ' ' || sum(features) FROM planmap.layer_versions"
        ),
        "6 8"
    );
    assert_eq!(
        sql(&e, "store", "SELECT count(*) FROM planmap.features"),
        "8"
    );
    let plan2 = e.rt.block_on(e.db.read_plan("tiny", None)).unwrap();
    assert!(plan2.version("red").unwrap().starts_with("pg:2:"));
}

#[test]
fn a_folder_without_plans_is_refused() {
    let e = env("empty");
    let tmp = tempfile::tempdir().unwrap();
    match e.rt.block_on(load_dir(&e.db, tmp.path())) {
        Err(PgError::Folder(m)) => assert!(m.contains("no plan.toml"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sql(&e, "empty", "SELECT count(*) FROM planmap.plans"), "0");
}
