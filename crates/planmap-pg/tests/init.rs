//! `planmap_pg::init` against a real PostgreSQL 15 + PostGIS 3 cluster (started by the test
//! under a temp dir, planmap-testenv), read back with `psql`, a client independent of the
//! code under test.

use planmap_pg::{init_blocking, parse_url, Config, PgError, VERSION};
use planmap_testenv::PgCluster;

fn cluster() -> PgCluster {
    PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL cluster: {e}"))
}

fn fresh_db(pg: &PgCluster, db: &str) -> Config {
    pg.create_database(db).unwrap();
    parse_url(&pg.url(db)).unwrap()
}

fn sql(pg: &PgCluster, db: &str, q: &str) -> String {
    pg.psql(db, q).unwrap_or_else(|e| panic!("{e}"))
}

/// Every migration from 1 to VERSION, once, in order: "1,2,…".
fn ledger(pg: &PgCluster, db: &str) -> String {
    sql(
        pg,
        db,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM planmap.migrations",
    )
}

fn one_to_version() -> String {
    (1..=VERSION)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn init_creates_the_versioned_schema_and_running_it_again_is_a_no_op() {
    let pg = cluster();
    let cfg = fresh_db(&pg, "plans");
    assert_eq!(
        sql(
            &pg,
            "plans",
            "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"
        ),
        "0"
    );

    let first = init_blocking(&cfg).unwrap();
    assert_eq!((first.before, first.after), (0, VERSION));
    assert_eq!(first.applied.len(), VERSION as usize);

    // PostGIS 3, created by init.
    let postgis = sql(
        &pg,
        "plans",
        "SELECT extversion FROM pg_extension WHERE extname = 'postgis'",
    );
    assert!(postgis.starts_with("3."), "PostGIS version {postgis:?}");
    // The tables of docs/postgis.md, in the schema planmap.
    assert_eq!(
        sql(
            &pg,
            "plans",
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables \
             WHERE schemaname = 'planmap'"
        ),
        "checks,features,layer_versions,layers,migrations,plans,source_plans,source_watch,sources"
    );
    // A GiST index on the features' geometry, and the planner uses it for a box query.
    assert_eq!(
        sql(
            &pg,
            "plans",
            "SELECT string_agg(a.attname, ',') FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = 'planmap.features'::regclass AND am.amname = 'gist'"
        ),
        "geom"
    );
    let plan = sql(
        &pg,
        "plans",
        "SET enable_seqscan = off; EXPLAIN SELECT fid FROM planmap.features \
         WHERE geom && ST_MakeEnvelope(111.9, 37.3, 112.4, 37.6, 4490)",
    );
    assert!(plan.contains("features_geom"), "{plan}");
    assert_eq!(ledger(&pg, "plans"), one_to_version());

    // A layer version with one feature at full precision in CGCS2000: 112.30000000000001 and
    // 37.39999999999999 are one ulp from 112.3 and 37.4 (printed with 15 digits, they would
    // read back as those).
    sql(
        &pg,
        "plans",
        "BEGIN; \
         INSERT INTO planmap.plans (id, manifest) VALUES ('wenshui', '[plan]'); \
         INSERT INTO planmap.layers VALUES ('wenshui', 'farmland', 1); \
         INSERT INTO planmap.layer_versions (plan_id, layer_id, version, srid, features, digest) \
           VALUES ('wenshui', 'farmland', 1, 4490, 1, 'd1'); \
         INSERT INTO planmap.features VALUES ('wenshui', 'farmland', 1, 0, 'f1', '{\"名称\": \"一号\"}', \
           ST_GeomFromText('POLYGON((112.30000000000001 37.39999999999999, 112.31 37.4, \
           112.31 37.41, 112.30000000000001 37.39999999999999))', 4490)); \
         COMMIT;",
    );
    assert_eq!(
        sql(
            &pg,
            "plans",
            "SELECT ST_X(ST_StartPoint(ST_ExteriorRing(geom)))::text || ' ' || \
             ST_Y(ST_StartPoint(ST_ExteriorRing(geom)))::text || ' ' || ST_SRID(geom) \
             FROM planmap.features"
        ),
        "112.30000000000001 37.39999999999999 4490"
    );
    let applied_at =
        "SELECT string_agg(applied_at::text, ',' ORDER BY version) FROM planmap.migrations";
    let stamps = sql(&pg, "plans", applied_at);

    // Again: nothing applied, nothing lost, the ledger untouched.
    let second = init_blocking(&cfg).unwrap();
    assert_eq!((second.before, second.after), (VERSION, VERSION));
    assert!(second.applied.is_empty(), "{second:?}");
    assert_eq!(
        sql(&pg, "plans", "SELECT count(*) FROM planmap.features"),
        "1"
    );
    assert_eq!(sql(&pg, "plans", applied_at), stamps);
    assert_eq!(ledger(&pg, "plans"), one_to_version());
}

#[test]
fn replicas_initialising_together_apply_each_migration_once() {
    let pg = cluster();
    let cfg = fresh_db(&pg, "together");
    let reports: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4).map(|_| s.spawn(|| init_blocking(&cfg))).collect();
        hs.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
    });
    let applied: usize = reports.iter().map(|r| r.applied.len()).sum();
    assert_eq!(applied, VERSION as usize, "{reports:?}");
    assert_eq!(ledger(&pg, "together"), one_to_version());
}

#[test]
fn a_database_of_another_build_is_refused_and_left_as_it_is() {
    let pg = cluster();

    // Migrated by a newer planmap.
    let newer = fresh_db(&pg, "newer");
    init_blocking(&newer).unwrap();
    sql(
        &pg,
        "newer",
        &format!(
            "INSERT INTO planmap.migrations (version, name, checksum) VALUES ({}, 'future', 'x')",
            VERSION + 1
        ),
    );
    let e = init_blocking(&newer).unwrap_err();
    assert!(matches!(e, PgError::NewerSchema { .. }), "{e}");
    assert!(e.to_string().contains("upgrade planmap"), "{e}");

    // Migration 1 applied with other SQL than this build's.
    let edited = fresh_db(&pg, "edited");
    init_blocking(&edited).unwrap();
    sql(
        &pg,
        "edited",
        "UPDATE planmap.migrations SET checksum = md5('other') WHERE version = 1",
    );
    let e = init_blocking(&edited).unwrap_err();
    assert!(e.to_string().contains("migration 1 "), "{e}");
    assert_eq!(ledger(&pg, "edited"), one_to_version());

    // The schema refuses a geometry in another CRS than CGCS2000 or WGS84 lon/lat.
    let err = pg
        .psql(
            "edited",
            "INSERT INTO planmap.plans (id, manifest) VALUES ('p', ''); \
             INSERT INTO planmap.layers VALUES ('p', 'l', NULL); \
             INSERT INTO planmap.layer_versions (plan_id, layer_id, version, srid, features, digest) \
               VALUES ('p', 'l', 1, 4326, 1, 'd'); \
             INSERT INTO planmap.features VALUES ('p', 'l', 1, 0, 'f', '{}', \
               ST_GeomFromText('POINT(12500000 4500000)', 3857))",
        )
        .unwrap_err();
    assert!(err.contains("check constraint"), "{err}");

    // Nothing listening: an error naming the address, not a hang.
    let port = pg.port();
    drop(pg);
    let gone = parse_url(&format!("postgres://postgres@127.0.0.1:{port}/plans")).unwrap();
    let e = init_blocking(&gone).unwrap_err();
    assert!(matches!(e, PgError::Connect { .. }), "{e}");
    assert!(
        e.to_string().contains(&format!("127.0.0.1:{port}/plans")),
        "{e}"
    );
}
