//! Changing a plan in the store: an import writes the next version beside the served one and
//! switches to it atomically (a reader meanwhile sees the old or the new, never a mix), and
//! the LISTEN connection learns of every committed change — an import, a row edited with
//! plain SQL by psql (as QGIS would) — and of nothing uncommitted. Read back with psql.

use planmap_core::{LayerStore, Shape};
use planmap_pg::{import_layer, listen, load_dir, Change, PgError};

mod common;
use common::{env, next, sql, squares, tiny_plan, wait_listening, Env};

fn loaded(name: &str) -> (Env, tempfile::TempDir) {
    let e = env(name);
    let tmp = tempfile::tempdir().unwrap();
    tiny_plan(tmp.path(), "tiny");
    e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    (e, tmp)
}

fn red_current(e: &Env) -> String {
    sql(
        e,
        "imports",
        "SELECT current_version FROM planmap.layers WHERE layer_id = 'red'",
    )
}

#[test]
fn an_import_is_the_next_version_and_a_reader_sees_old_or_new_never_a_mix() {
    let (e, _tmp) = loaded("imports");
    let new = squares(20_000);
    let only = vec!["red".to_string()];

    let (reads, done) = e.rt.block_on(async {
        let db = e.db.clone();
        let features = new.clone();
        let import = tokio::spawn(async move {
            import_layer(&db, "tiny", "red", &features, "squares.geojson").await
        });
        let mut reads = Vec::new();
        while !import.is_finished() {
            let p = e.db.read_plan("tiny", Some(&only)).await.unwrap();
            reads.push((p.version("red").unwrap(), p.features("red").unwrap().len()));
        }
        (reads, import.await.unwrap().unwrap())
    });
    assert_eq!((done.version, done.features), (2, 20_000));
    for (version, n) in &reads {
        let whole = (version.starts_with("pg:1:") && *n == 1)
            || (version.starts_with("pg:2:") && *n == 20_000);
        assert!(whole, "a read saw {n} features at {version}");
    }
    eprintln!("{} reads during the import", reads.len());

    // psql: version 2 served, version 1 kept, the rows of each whole.
    assert_eq!(red_current(&e), "2");
    assert_eq!(
        sql(
            &e,
            "imports",
            "SELECT string_agg(version || ':' || features || ':' || source || ':' || edits, ',' ORDER BY version) \
             FROM planmap.layer_versions WHERE layer_id = 'red'"
        ),
        "1:1:red.geojson:0,2:20000:squares.geojson:0"
    );
    assert_eq!(
        sql(
            &e,
            "imports",
            "SELECT string_agg(version || '=' || n, ',' ORDER BY version) FROM \
             (SELECT version, count(*) n FROM planmap.features WHERE layer_id = 'red' GROUP BY version) c"
        ),
        "1=1,2=20000"
    );
    // The last square's corner, exactly as given.
    let last = &new[19_999];
    let Shape::Polygon(mp) = &last.shape else {
        unreachable!()
    };
    let x0 = mp.0[0].exterior().0[0].x;
    let got: f64 = sql(
        &e,
        "imports",
        "SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) FROM planmap.features \
         WHERE fid = 'red-19999'",
    )
    .parse()
    .unwrap();
    assert_eq!(got.to_bits(), x0.to_bits());

    // Refused imports write nothing: an unknown layer, an unknown plan, two features of one id.
    let before = sql(&e, "imports", "SELECT count(*) FROM planmap.layer_versions");
    let r =
        e.rt.block_on(import_layer(&e.db, "tiny", "nope", &new[..1], "x"));
    assert!(
        matches!(&r, Err(PgError::Invalid(m)) if m.contains("no layer 'nope'")),
        "{r:?}"
    );
    let r =
        e.rt.block_on(import_layer(&e.db, "other", "red", &new[..1], "x"));
    assert!(
        matches!(&r, Err(PgError::NoPlan { id }) if id == "other"),
        "{r:?}"
    );
    let twice = [new[0].clone(), new[0].clone()];
    let r =
        e.rt.block_on(import_layer(&e.db, "tiny", "red", &twice, "x"));
    assert!(matches!(r, Err(PgError::Query { .. })), "{r:?}");
    assert_eq!(
        sql(&e, "imports", "SELECT count(*) FROM planmap.layer_versions"),
        before
    );
    assert_eq!(red_current(&e), "2");
}

#[test]
fn listen_hears_imports_and_plain_sql_edits_after_commit_only() {
    let (mut e, _tmp) = loaded("changes");
    let mut rx = {
        let _in = e.rt.enter();
        listen(e.cfg.clone())
    };
    wait_listening(&e, "changes");
    // Listening: compare everything once (changes before the LISTEN were not heard).
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Resync));
    assert_eq!(next(&e, &mut rx, 0.3), None, "nothing has changed yet");

    // An import: the plan once (its statements' notifications folded at COMMIT).
    e.rt.block_on(import_layer(
        &e.db,
        "tiny",
        "red",
        &squares(3),
        "three.geojson",
    ))
    .unwrap();
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Plan("tiny".into())));
    assert_eq!(next(&e, &mut rx, 0.5), None);

    // A row edited with plain SQL by psql, in a transaction held open 1.5 s: nothing before
    // its COMMIT, the plan after.
    std::thread::scope(|s| {
        let edit = s.spawn(|| {
            e.pg.psql(
                "changes",
                "BEGIN; UPDATE planmap.features SET properties = '{\"name\":\"改井\"}' \
                 WHERE fid = 'w1'; SELECT pg_sleep(1.5); COMMIT;",
            )
            .unwrap()
        });
        assert_eq!(
            next(&e, &mut rx, 1.0),
            None,
            "a change heard before its commit"
        );
        edit.join().unwrap();
    });
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Plan("tiny".into())));
    // The edit is counted in the layer's version string, and read back as made.
    let plan = e.rt.block_on(e.db.read_plan("tiny", None)).unwrap();
    let wells = plan.version("wells").unwrap();
    assert!(
        wells.starts_with("pg:1:") && wells.ends_with(":1"),
        "{wells}"
    );
    let w1 = plan.features("wells").unwrap()[0].clone();
    assert_eq!(w1.properties.json(), r#"{"name":"改井"}"#);

    // A rolled-back edit: nothing.
    sql(
        &e,
        "changes",
        "BEGIN; DELETE FROM planmap.features WHERE fid = 'w2'; ROLLBACK;",
    );
    assert_eq!(next(&e, &mut rx, 1.0), None);

    // The server restarted: the connection is made again and says Resync, then hears again.
    e.pg.stop().unwrap();
    e.pg.start_server().unwrap();
    assert_eq!(next(&e, &mut rx, 30.0), Some(Change::Resync));
    wait_listening(&e, "changes");
    sql(
        &e,
        "changes",
        "UPDATE planmap.plans SET indicators = indicators WHERE id = 'tiny'",
    );
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Plan("tiny".into())));
}
