//! `PgHistory` against a real PostgreSQL + PostGIS cluster (planmap-testenv), read back with
//! `psql`: a group commit of more records than one transaction takes, check keys (a retry is
//! the first record; a key reused for another check is dropped from the new row), the
//! listing's filters and times, and a database that goes away and comes back.

use planmap_history::{BatchRef, HistoryError, NewRecord, Pending, Query, Source};
use planmap_pg::{init_blocking, parse_url, Config, Db, PgHistory, PoolOptions};
use planmap_testenv::PgCluster;

fn record(i: usize, key: Option<&str>) -> NewRecord {
    let x = 112.0 + i as f64 * 0.001;
    NewRecord {
        // One second apart, from a fixed instant (the listing's order and time filters).
        time: format!(
            "2026-03-01T10:{:02}:{:02}.{:03}Z",
            i / 60 % 60,
            i % 60,
            i % 1000
        ),
        site: format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},37.4],[{x2},37.4],[{x2},37.401],[{x},37.4]]]}}"#,
            x2 = x + 0.0005
        ),
        verdict: ["通过", "需论证", "不通过"][i % 3].to_string(),
        site_area_m2: 25.0 + i as f64,
        overlaps: serde_json::json!([{"layer": "farmland", "area_m2": i as f64 / 4.0}]),
        data_version: "v1".into(),
        source: Source::Api,
        project: Some(format!("p{i}")),
        applicant: None,
        key: key.map(str::to_string),
        plan: Some(
            if i.is_multiple_of(2) {
                "wenshui"
            } else {
                "jiaocheng"
            }
            .into(),
        ),
    }
}

fn sql(pg: &PgCluster, q: &str) -> String {
    pg.psql("county", q).unwrap_or_else(|e| panic!("{e}"))
}

/// A throwaway cluster with database `county` initialised, its config and a one-thread
/// runtime.
fn initialised() -> (PgCluster, Config, tokio::runtime::Runtime) {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("county").unwrap();
    let cfg = parse_url(&pg.url("county")).unwrap();
    init_blocking(&cfg).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (pg, cfg, rt)
}

#[test]
fn records_commit_in_groups_keys_are_unique_and_an_outage_is_unavailable() {
    // One thread: the writer runs only when the test awaits, so every record submitted
    // before is waiting for it — 300 records, more than one transaction takes (256).
    let (mut pg, cfg, rt) = initialised();
    let db = Db::new(&cfg, PoolOptions::default()).unwrap();
    let h = PgHistory::start(db, rt.handle());
    let ids: Vec<i64> = rt.block_on(async {
        let mut pending: Vec<Pending> = Vec::new();
        for i in 0..300 {
            let key = match i {
                // The same check asked for twice in one commit, and once more in another.
                10 | 11 | 290 => Some("retried-key-0001"),
                _ => None,
            };
            let mut rec = record(i, key);
            if i == 11 || i == 290 {
                rec.site = record(10, None).site;
                rec.verdict = record(10, None).verdict;
            }
            if i == 12 {
                // The key of another check: recorded, without the key.
                rec.key = Some("retried-key-0001".into());
            }
            pending.push(h.submit(&rec).unwrap());
        }
        let mut ids = Vec::new();
        for p in pending {
            ids.push(p.await.unwrap());
        }
        ids
    });
    assert_eq!(ids[10], ids[11]);
    assert_eq!(ids[10], ids[290]);
    let stats = h.stats();
    assert!(stats.commits >= 2 && stats.commits < 300, "{stats:?}");
    assert_eq!(stats.records, 300);
    assert_eq!(sql(&pg, "SELECT count(*) FROM planmap.checks"), "298");
    // The key is held by one of the asks of that check (the writers commit concurrently, so
    // a later transaction may commit first): the first ask's, or the one in the other commit.
    let keyed = sql(
        &pg,
        "SELECT project FROM planmap.checks WHERE check_key = 'retried-key-0001'",
    );
    assert!(keyed == "p10" || keyed == "p290", "{keyed}");
    assert_eq!(
        sql(
            &pg,
            &format!("SELECT project FROM planmap.checks WHERE id = {}", ids[10])
        ),
        keyed
    );
    assert_eq!(
        sql(
            &pg,
            &format!(
                "SELECT project, check_key IS NULL FROM planmap.checks WHERE id = {}",
                ids[12]
            )
        ),
        "p12|t"
    );
    // Each id is its own record's (psql's reading of the project).
    for i in [0, 1, 150, 255, 256, 299] {
        assert_eq!(
            sql(
                &pg,
                &format!("SELECT project FROM planmap.checks WHERE id = {}", ids[i])
            ),
            format!("p{i}")
        );
    }
    // The site's geometry for QGIS: its area in m², as PostGIS computes it on the spheroid.
    let area: f64 = sql(
        &pg,
        &format!(
            "SELECT ST_Area(geom::geography) FROM planmap.checks WHERE id = {}",
            ids[5]
        ),
    )
    .parse()
    .unwrap();
    assert!(area > 1000.0 && area < 3000.0, "{area}");

    // The listing: newest first, times as written, filters as psql counts them.
    rt.block_on(async {
        let all = h
            .list(&Query {
                limit: Some(3),
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(all[0].time, record(299, None).time);
        assert_eq!(all[0].project.as_deref(), Some("p299"));
        let q = Query {
            plan: Some("wenshui".into()),
            verdict: Some("通过".into()),
            from: Some("2026-03-01T10:01:00Z".into()),
            to: Some("2026-03-01T10:03:00Z".into()),
            ..Query::default()
        };
        let n = h.count(&q).await.unwrap();
        let by_psql = sql(
            &pg,
            "SELECT count(*) FROM planmap.checks WHERE plan = 'wenshui' AND verdict = '通过' \
             AND time >= '2026-03-01T10:01:00Z' AND time < '2026-03-01T10:03:00Z'",
        );
        assert_eq!(n.to_string(), by_psql);
        assert_eq!(h.list(&q).await.unwrap().len() as u64, n);
        let bad = Query {
            verdict: Some("maybe".into()),
            ..Query::default()
        };
        assert!(matches!(h.count(&bad).await, Err(HistoryError::Invalid(_))));

        // A batch's sites, selected by the batch's id.
        let at = BatchRef {
            id: "batch-1".into(),
            file: Some("sites.zip".into()),
            feature: 2,
        };
        let id = h
            .submit_in_batch(&record(400, None), &at)
            .unwrap()
            .await
            .unwrap();
        let q = Query {
            batch: Some("batch-1".into()),
            ..Query::default()
        };
        let got = h.list(&q).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id, got[0].batch.clone()), (id, Some(at)));
    });

    // The database away: a record is refused as unavailable (no id), the listing too.
    pg.stop().unwrap();
    rt.block_on(async {
        let r = h.submit(&record(500, None)).unwrap().await;
        assert!(matches!(r, Err(HistoryError::Unavailable(_))), "{r:?}");
        let l = h.count(&Query::default()).await;
        assert!(matches!(l, Err(HistoryError::Unavailable(_))), "{l:?}");
    });
    // Back: the pool reconnects by itself.
    pg.start_server().unwrap();
    let id = rt.block_on(async { h.submit(&record(501, None)).unwrap().await.unwrap() });
    assert_eq!(
        sql(
            &pg,
            &format!("SELECT project FROM planmap.checks WHERE id = {id}")
        ),
        "p501"
    );
    assert_eq!(
        sql(
            &pg,
            "SELECT count(*) FROM planmap.checks WHERE project = 'p500'"
        ),
        "0"
    );
}

#[test]
fn a_statement_timeout_or_a_full_pool_is_unavailable_not_a_wait() {
    let (pg, cfg, rt) = initialised();
    let options = PoolOptions {
        size: 1,
        statement: std::time::Duration::from_secs(1),
        ..PoolOptions::default()
    };
    let db = Db::new(&cfg, options).unwrap();
    let h = PgHistory::start(db, rt.handle());
    // Another session holds the table for 6 s (as a long migration or a keeper's lock would).
    let lock = "BEGIN; LOCK TABLE planmap.checks IN ACCESS EXCLUSIVE MODE; \
                SELECT pg_sleep(6); COMMIT;";
    std::thread::scope(|scope| {
        let locker = scope.spawn(|| pg.psql("county", lock));
        let held = "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'AccessExclusiveLock' \
                    AND relation = 'planmap.checks'::regclass";
        while sql(&pg, held) != "1" {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let started = std::time::Instant::now();
        let (stmt, pool) = rt.block_on(async {
            // The pool's one connection goes to the writer, whose INSERT waits for the lock
            // until its statement timeout; a reader meanwhile finds no free connection.
            let p = h.submit(&record(1, None)).unwrap();
            let busy = async {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                h.count(&Query::default()).await
            };
            tokio::join!(p, busy)
        });
        assert!(
            matches!(stmt, Err(HistoryError::Unavailable(_))),
            "{stmt:?}"
        );
        assert!(
            matches!(pool, Err(HistoryError::Unavailable(_))),
            "{pool:?}"
        );
        // Long before the lock goes (a wait for it would take 6 s).
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
        locker.join().unwrap().expect("the locking session ran");
    });
    // The lock gone, the same pool records again.
    let id = rt.block_on(async { h.submit(&record(2, None)).unwrap().await.unwrap() });
    assert_eq!(
        sql(
            &pg,
            &format!("SELECT project FROM planmap.checks WHERE id = {id}")
        ),
        "p2"
    );
    assert_eq!(sql(&pg, "SELECT count(*) FROM planmap.checks"), "1");
}
