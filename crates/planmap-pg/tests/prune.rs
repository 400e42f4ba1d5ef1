//! `planmap db prune` and `db status` against a real PostgreSQL: old versions go with their
//! features, the served version always stays (even when it is not the newest), nothing a
//! replica serves changes and nothing is notified; status reports what psql counts.

use planmap_core::LayerStore;
use planmap_pg::{import_layer, listen, load_dir, prune, status, Change, LayerStatus, PgError};

mod common;
use common::{env, next, sql, squares, tiny_plan, wait_listening};

/// `version=features` of the red layer's stored versions, counted by psql from the rows.
fn red_rows(e: &common::Env) -> String {
    sql(
        e,
        "prune",
        "SELECT string_agg(v.version || '=' || (SELECT count(*) FROM planmap.features f \
         WHERE f.layer_id = 'red' AND f.version = v.version), ',' ORDER BY v.version) \
         FROM planmap.layer_versions v WHERE v.layer_id = 'red'",
    )
}

#[test]
fn prune_keeps_the_newest_and_the_served_and_tells_no_replica() {
    let mut e = env("prune");
    let tmp = tempfile::tempdir().unwrap();
    tiny_plan(tmp.path(), "tiny");
    e.rt.block_on(load_dir(&e.db, tmp.path())).unwrap();
    // red: version 1 (1 feature from the folder), then 2, 3, 4 of 2, 3, 4 squares.
    for n in 2..=4 {
        e.rt.block_on(import_layer(&e.db, "tiny", "red", &squares(n), "sq"))
            .unwrap();
    }
    assert_eq!(red_rows(&e), "1=1,2=2,3=3,4=4");
    let served = e.rt.block_on(e.db.read_plan("tiny", None)).unwrap();

    let mut rx = {
        let _in = e.rt.enter();
        listen(e.cfg.clone())
    };
    wait_listening(&e, "prune");
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Resync));

    // A dry run says what would go and removes nothing.
    let dry = e.rt.block_on(prune(&e.db, None, 2, true)).unwrap();
    assert_eq!(dry.len(), 1, "{dry:?}");
    assert_eq!(
        (dry[0].layer.as_str(), &dry[0].versions[..]),
        ("red", &[1, 2][..])
    );
    assert_eq!(dry[0].features, 3);
    assert_eq!(red_rows(&e), "1=1,2=2,3=3,4=4");

    // The prune: versions 1 and 2 and their 3 features go; county and wells (one version
    // each) are untouched.
    let done = e.rt.block_on(prune(&e.db, Some("tiny"), 2, false)).unwrap();
    assert_eq!(done, dry);
    assert_eq!(red_rows(&e), "3=3,4=4");
    assert_eq!(
        sql(
            &e,
            "prune",
            "SELECT string_agg(layer_id || ':' || version, ',' ORDER BY layer_id) \
             FROM planmap.layer_versions WHERE layer_id <> 'red'"
        ),
        "county:1,wells:1"
    );
    // What a replica serves is the same, to its version strings, and nobody was told.
    let after = e.rt.block_on(e.db.read_plan("tiny", None)).unwrap();
    for layer in ["county", "red", "wells"] {
        assert_eq!(
            after.version(layer).unwrap(),
            served.version(layer).unwrap()
        );
        assert_eq!(
            after.features(layer).unwrap().len(),
            served.features(layer).unwrap().len()
        );
    }
    assert_eq!(next(&e, &mut rx, 1.0), None, "a prune was notified");
    // The listener still hears: an SQL edit of a served feature is notified.
    sql(
        &e,
        "prune",
        "UPDATE planmap.features SET properties = '{\"n\":99}' WHERE fid = 'red-00000' AND version = 4",
    );
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Plan("tiny".into())));
    // An SQL edit of a version nobody serves is not.
    sql(
        &e,
        "prune",
        "UPDATE planmap.features SET properties = '{\"n\":98}' WHERE fid = 'red-00000' AND version = 3",
    );
    assert_eq!(
        next(&e, &mut rx, 1.0),
        None,
        "an unserved version's edit was notified"
    );

    // The keeper rolls red back to version 3: with --keep 1 the newest (4) and the served
    // (3) both stay.
    sql(
        &e,
        "prune",
        "UPDATE planmap.layers SET current_version = 3 WHERE layer_id = 'red'",
    );
    assert_eq!(next(&e, &mut rx, 10.0), Some(Change::Plan("tiny".into())));
    let none = e.rt.block_on(prune(&e.db, None, 1, false)).unwrap();
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(red_rows(&e), "3=3,4=4");

    // Refused: --keep 0, an unknown plan.
    let r = e.rt.block_on(prune(&e.db, None, 0, false));
    assert!(matches!(r, Err(PgError::Invalid(_))), "{r:?}");
    let r = e.rt.block_on(prune(&e.db, Some("other"), 1, false));
    assert!(
        matches!(&r, Err(PgError::NoPlan { id }) if id == "other"),
        "{r:?}"
    );

    // Status: what psql counts.
    let s = e.rt.block_on(status(&e.db, None)).unwrap();
    assert_eq!(s.schema_version, planmap_pg::VERSION);
    assert_eq!(s.checks, 0);
    assert_eq!(s.plans.len(), 1);
    let red = s.plans[0]
        .layers
        .iter()
        .find(|l| matches!(l, LayerStatus::Stored { id, .. } if id == "red"))
        .unwrap();
    let edits: i32 = sql(
        &e,
        "prune",
        "SELECT edits FROM planmap.layer_versions WHERE layer_id = 'red' AND version = 3",
    )
    .parse()
    .unwrap();
    assert_eq!(
        red,
        &LayerStatus::Stored {
            id: "red".into(),
            current: Some(3),
            features: 3,
            edits,
            versions: vec![3, 4],
            kept_features: 7,
        }
    );
    let stored: i64 = sql(&e, "prune", "SELECT count(*) FROM planmap.features")
        .parse()
        .unwrap();
    let counted: i64 = s.plans[0]
        .layers
        .iter()
        .map(|l| match l {
            LayerStatus::Stored { kept_features, .. } => *kept_features,
            LayerStatus::Table { .. } => 0,
        })
        .sum();
    assert_eq!(
        counted, stored,
        "status's kept features ≠ the rows psql counts"
    );
    let r = e.rt.block_on(status(&e.db, Some("other")));
    assert!(matches!(r, Err(PgError::NoPlan { .. })), "{r:?}");
    e.pg.stop().unwrap();
}
