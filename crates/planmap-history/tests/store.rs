//! The store: round trips, filters, paging, exports read back by independent parsers, restarts
//! and refusals.

use planmap_history::export::{to_csv, to_geojson, CSV_COLUMNS};
use planmap_history::{History, HistoryError, NewRecord, Query, Record, Source};
use serde_json::{json, Value};

const HOSTILE: &str = "'); DROP TABLE checks;--";

fn site(i: usize) -> String {
    let x = 117.0 + i as f64 * 0.001;
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},36.1],[{},36.1],[{},36.1005],[{x},36.1]]]}}"#,
        x + 0.0005,
        x + 0.0005
    )
}

/// Record `i` of a day: verdicts cycle, times one minute apart, Chinese and hostile names.
fn rec(i: usize) -> NewRecord {
    let verdict = ["不通过", "需论证", "通过"][i % 3];
    NewRecord {
        time: format!("2026-11-{:02}T08:{:02}:00Z", 1 + i / 60, i % 60),
        site: site(i),
        verdict: verdict.into(),
        site_area_m2: 1234.5 + i as f64 / 3.0,
        overlaps: json!([{"layer": "farmland", "name": "永久基本农田", "area_m2": i as f64 * 0.1}]),
        data_version: "v-abc123".into(),
        source: if i.is_multiple_of(2) {
            Source::Api
        } else {
            Source::Web
        },
        project: Some(match i % 4 {
            0 => format!("汶水县第{i}号光伏项目"),
            1 => HOSTILE.to_string(),
            2 => "=HYPERLINK(\"x\")".to_string(),
            _ => "a, \"quoted\"\nname".replace('\n', " "),
        }),
        applicant: (!i.is_multiple_of(5)).then(|| "张三 / Zhang San".to_string()),
        key: None,
        plan: None,
    }
}

fn open(dir: &tempfile::TempDir) -> History {
    History::open(dir.path().join("sub/dir/history.sqlite")).expect("opens")
}

/// `v` as a reader of its JSON text sees it (serde_json's default float parsing can be one
/// unit in the last place off, on both sides alike).
fn reparse(v: &Value) -> Value {
    serde_json::from_str(&v.to_string()).unwrap()
}

fn ids(rs: &[Record]) -> Vec<i64> {
    rs.iter().map(|r| r.id).collect()
}

fn same(r: &Record, n: &NewRecord) {
    assert_eq!(r.time[..19], n.time[..19]);
    assert!(r.time.ends_with(".000Z"), "{}", r.time);
    assert_eq!(r.verdict, n.verdict);
    assert_eq!(r.site_area_m2, n.site_area_m2);
    // Stored verbatim, as serde_json wrote it.
    assert_eq!(r.overlaps.get(), n.overlaps.to_string());
    assert_eq!(r.site.get(), n.site);
    assert_eq!(r.data_version, n.data_version);
    assert_eq!(r.source, n.source.as_str());
    assert_eq!(r.project, n.project);
    assert_eq!(r.applicant, n.applicant);
}

#[test]
fn records_round_trip_with_chinese_and_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let news: Vec<NewRecord> = (0..10).map(rec).collect();
    let got: Vec<i64> = news.iter().map(|n| h.record(n).unwrap()).collect();
    assert_eq!(got, (1..=10).collect::<Vec<_>>());
    let all = h.list(&Query::default()).unwrap();
    // Newest first: record 9 has the latest time.
    assert_eq!(ids(&all), (1..=10).rev().collect::<Vec<_>>());
    for r in &all {
        same(r, &news[r.id as usize - 1]);
    }
    assert_eq!(all[8].project.as_deref(), Some(HOSTILE));
    // The table is still there, and an independent connection reads the text verbatim.
    let conn = rusqlite::Connection::open(h.path()).unwrap();
    let p: String = conn
        .query_row("SELECT project FROM checks WHERE id = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(p, HOSTILE);
    assert_eq!(h.integrity_check().unwrap(), "ok");
    assert_eq!(h.durability().unwrap(), ("wal".to_string(), 2));
}

#[test]
fn filters_and_paging() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    // 150 records over three days (60 a day).
    for i in 0..150 {
        h.record(&rec(i)).unwrap();
    }
    let q = |f: fn(&mut Query)| {
        let mut q = Query::default();
        f(&mut q);
        q
    };
    let page1 = h.list(&q(|q| q.limit = Some(40))).unwrap();
    let page2 = h
        .list(&q(|q| {
            q.limit = Some(40);
            q.offset = 40
        }))
        .unwrap();
    assert_eq!(ids(&page1), (111..=150).rev().collect::<Vec<_>>());
    assert_eq!(ids(&page2), (71..=110).rev().collect::<Vec<_>>());
    let last = h
        .list(&q(|q| {
            q.limit = Some(40);
            q.offset = 140
        }))
        .unwrap();
    assert_eq!(ids(&last), (1..=10).rev().collect::<Vec<_>>());

    // Day 2 (records 60..120, ids 61..=120) by dates: from is inclusive, a `to` date is the
    // whole day.
    let day2 = q(|q| {
        q.from = Some("2026-11-02".into());
        q.to = Some("2026-11-02".into())
    });
    assert_eq!(
        ids(&h.list(&day2).unwrap()),
        (61..=120).rev().collect::<Vec<_>>()
    );
    assert_eq!(h.count(&day2).unwrap(), 60);
    // Times: [08:10, 08:20) on day 1 = records 10..20.
    let window = q(|q| {
        q.from = Some("2026-11-01T08:10:00Z".into());
        q.to = Some("2026-11-01T08:20:00+00:00".into())
    });
    assert_eq!(
        ids(&h.list(&window).unwrap()),
        (11..=20).rev().collect::<Vec<_>>()
    );

    let refused = q(|q| q.verdict = Some("不通过".into()));
    let got = h.list(&refused).unwrap();
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|r| r.verdict == "不通过"));
    assert_eq!(ids(&got)[..3], [148, 145, 142]);
    let web = q(|q| q.source = Some(Source::Web));
    assert_eq!(h.count(&web).unwrap(), 75);

    for bad in [
        q(|q| q.verdict = Some("pass".into())),
        q(|q| q.from = Some("yesterday".into())),
        q(|q| q.to = Some("2026-11-01T08:00:00+08:00".into())),
        q(|q| q.limit = Some(1_000_000)),
    ] {
        assert!(
            matches!(h.list(&bad), Err(HistoryError::Invalid(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn bad_records_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let bad: Vec<fn(&mut NewRecord)> = vec![
        |r| r.time = "2026-11-01 08:00".into(),
        |r| r.verdict = "ok".into(),
        |r| r.site_area_m2 = f64::NAN,
        |r| r.site = "not json".into(),
        |r| r.site = r#"{"type":"Feature"}"#.into(),
        |r| r.overlaps = json!(3),
        |r| r.data_version = " ".into(),
        |r| r.project = Some("长".repeat(201)),
        |r| r.applicant = Some("a\u{0}b".into()),
    ];
    for f in bad {
        let mut r = rec(0);
        f(&mut r);
        assert!(
            matches!(h.record(&r), Err(HistoryError::Invalid(_))),
            "{r:?}"
        );
    }
    assert_eq!(h.count(&Query::default()).unwrap(), 0);
    // Blank names are none; 200 characters is allowed.
    let mut r = rec(0);
    r.project = Some("   ".into());
    r.applicant = Some("长".repeat(200));
    let id = h.record(&r).unwrap();
    let got = &h.list(&Query::default()).unwrap()[0];
    assert_eq!((got.id, got.project.as_deref()), (id, None));
    assert_eq!(got.applicant.as_ref().unwrap().chars().count(), 200);
}

#[test]
fn geojson_export_reads_back_as_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let news: Vec<NewRecord> = (0..7).map(rec).collect();
    for n in &news {
        h.record(n).unwrap();
    }
    let recs = h.list(&Query::default()).unwrap();
    let v: Value = serde_json::from_str(&to_geojson(&recs)).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), 7);
    for f in feats {
        assert_eq!(f["type"], "Feature");
        let id = f["id"].as_i64().unwrap();
        let n = &news[id as usize - 1];
        let p = &f["properties"];
        assert_eq!(p["id"], id);
        assert_eq!(
            f["geometry"],
            serde_json::from_str::<Value>(&n.site).unwrap()
        );
        assert_eq!(p["verdict"], n.verdict.as_str());
        assert_eq!(p["site_area_m2"].as_f64().unwrap(), n.site_area_m2);
        assert_eq!(p["overlaps"], reparse(&n.overlaps));
        assert_eq!(p["data_version"], "v-abc123");
        assert_eq!(p["source"], n.source.as_str());
        assert_eq!(p["project"].as_str(), n.project.as_deref());
        assert_eq!(p["applicant"].as_str(), n.applicant.as_deref());
        assert!(p["time"].as_str().unwrap().starts_with(&n.time[..19]));
    }
    assert_eq!(
        serde_json::from_str::<Value>(&to_geojson(&[])).unwrap(),
        json!({"type": "FeatureCollection", "features": []})
    );
}

#[test]
fn csv_export_reads_back_as_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let news: Vec<NewRecord> = (0..8).map(rec).collect();
    for n in &news {
        h.record(n).unwrap();
    }
    let recs = h.list(&Query::default()).unwrap();
    let text = to_csv(&recs);
    let body = text.strip_prefix('\u{feff}').expect("starts with a BOM");
    let mut rd = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    for row in &rows {
        let id: i64 = row[0].parse().unwrap();
        let n = &news[id as usize - 1];
        assert_eq!(&row[2], n.verdict);
        assert_eq!(row[3].parse::<f64>().unwrap(), n.site_area_m2);
        assert_eq!(&row[4], "v-abc123");
        assert_eq!(&row[5], n.source.as_str());
        let project = n.project.clone().unwrap();
        let shown = if project.starts_with('=') {
            format!("'{project}")
        } else {
            project
        };
        assert_eq!(&row[6], shown);
        assert_eq!(&row[7], n.applicant.as_deref().unwrap_or(""));
        assert_eq!(&row[8], n.overlaps.to_string());
    }
    // The quoted name survived its comma and quotes.
    assert!(rows.iter().any(|r| &r[6] == "a, \"quoted\" name"));
    assert!(rows.iter().any(|r| &r[6] == "'=HYPERLINK(\"x\")"));
}

#[test]
fn records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let news: Vec<NewRecord> = (0..25).map(rec).collect();
    {
        let h = History::open(&path).unwrap();
        let clone = h.clone();
        for n in &news {
            clone.record(n).unwrap();
        }
    }
    let h = History::open(&path).unwrap();
    let all = h.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 25);
    for r in &all {
        same(r, &news[r.id as usize - 1]);
    }
    // Ids go on from the last one.
    assert_eq!(h.record(&rec(25)).unwrap(), 26);
}

#[test]
fn foreign_files_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "這不是資料庫 — this is not a database, just a long enough text file",
    )
    .unwrap();
    let e = History::open(&text).unwrap_err();
    assert!(matches!(e, HistoryError::NotADatabase { .. }), "{e:?}");
    assert!(e.to_string().contains("not an SQLite database"), "{e}");
    // The file is left as it was.
    assert!(std::fs::read_to_string(&text)
        .unwrap()
        .starts_with("這不是"));

    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (n INTEGER);")
        .unwrap();
    let e = History::open(&other).unwrap_err();
    assert!(matches!(e, HistoryError::NotADatabase { .. }), "{e:?}");

    let newer = dir.path().join("newer.sqlite");
    History::open(&newer).unwrap().record(&rec(0)).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let e = History::open(&newer).unwrap_err();
    assert!(
        matches!(e, HistoryError::NewerSchema { found: 99, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("newer planmap"), "{e}");
}

#[test]
fn history_is_shared_across_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<History>();
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    std::thread::scope(|s| {
        for t in 0..4 {
            let h = h.clone();
            s.spawn(move || {
                for i in 0..25 {
                    h.record(&rec(t * 25 + i)).unwrap();
                }
            });
        }
    });
    let mut got = ids(&h.list(&Query::default()).unwrap());
    got.sort();
    assert_eq!(got, (1..=100).collect::<Vec<_>>());
}

#[test]
fn one_check_asked_twice_under_a_key_is_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let mut a = rec(0);
    a.key = Some("web-0f3c9a7e".into());
    let id = h.record(&a).unwrap();
    // The same check again (the GeoJSON view of it): no new row.
    let mut again = a.clone();
    again.time = "2026-11-01T08:00:01Z".into();
    assert_eq!(h.record(&again).unwrap(), id);
    assert_eq!(h.count(&Query::default()).unwrap(), 1);
    // The key reused for another site: recorded all the same, as a new row.
    let mut other = rec(1);
    other.key = a.key.clone();
    let id2 = h.record(&other).unwrap();
    assert_ne!(id2, id);
    assert_eq!(h.count(&Query::default()).unwrap(), 2);
    // ...and the key still names the first check.
    assert_eq!(h.record(&again).unwrap(), id);
    // Same key, same site, but checked against other data: a new check.
    let mut newer = a.clone();
    newer.data_version = "v-def456".into();
    assert_ne!(h.record(&newer).unwrap(), id);
    assert_eq!(h.count(&Query::default()).unwrap(), 3);
    for bad in ["short", "has space in it", &"k".repeat(65), "ключ-12345"] {
        let mut r = rec(2);
        r.key = Some(bad.into());
        assert!(
            matches!(h.record(&r), Err(HistoryError::Invalid(_))),
            "{bad}"
        );
    }
}

/// Runs a future to completion on this thread (a waker that unparks it): enough to show that a
/// [`planmap_history::Pending`] wakes whoever awaits it.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Records handed over without waiting are committed in order, and answered whether waited
/// for or awaited; the same keyed check twice in one batch is still one record; one commit a
/// record (`max_batch: 1`) gives the same rows.
#[test]
fn submitted_records_are_answered_once_committed() {
    for max_batch in [256, 1] {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open_with(
            dir.path().join("history.sqlite"),
            planmap_history::Options { max_batch },
        )
        .unwrap();
        let mut keyed = rec(7);
        keyed.key = Some("web-batch-1".into());
        let mut pending: Vec<_> = (0..20).map(|i| h.submit(&rec(i)).unwrap()).collect();
        pending.push(h.submit(&keyed).unwrap());
        pending.push(h.submit(&keyed).unwrap());
        let mut ids = Vec::new();
        for (i, p) in pending.into_iter().enumerate() {
            ids.push(if i % 2 == 0 {
                p.wait().unwrap()
            } else {
                block_on(p).unwrap()
            });
        }
        assert_eq!(ids[..20], (1..=20).collect::<Vec<i64>>()[..], "{max_batch}");
        assert_eq!((ids[20], ids[21]), (21, 21), "{max_batch}: one keyed check");
        assert_eq!(h.count(&Query::default()).unwrap(), 21);
        let s = h.stats();
        assert_eq!(s.records, 22, "{s:?}");
        if max_batch == 1 {
            assert_eq!(s.commits, 22, "one commit a record");
        }
        // A bad record is refused at once, before it reaches the writer.
        let mut bad = rec(0);
        bad.verdict = "maybe".into();
        assert!(matches!(h.submit(&bad), Err(HistoryError::Invalid(_))));
    }
}

#[test]
fn a_version_1_file_gains_the_plan_column_and_records_filter_by_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    // A history as planmap wrote it before plans: migration 1's table and one row.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE checks (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
            verdict TEXT NOT NULL, site_area_m2 REAL NOT NULL, overlaps TEXT NOT NULL,
            data_version TEXT NOT NULL, source TEXT NOT NULL, project TEXT, applicant TEXT,
            site TEXT NOT NULL, check_key TEXT);
         CREATE INDEX checks_time ON checks (time, id);
         CREATE UNIQUE INDEX checks_key ON checks (check_key);
         INSERT INTO checks (time, verdict, site_area_m2, overlaps, data_version, source, site)
         VALUES ('2026-10-01T08:00:00.000Z', '通过', 1.0, '[]', 'v-old', 'api',
                 '{\"type\":\"Point\",\"coordinates\":[112,37]}');
         PRAGMA user_version = 1; PRAGMA application_id = 1886218345;",
    )
    .unwrap();
    drop(c);
    let h = History::open(&path).expect("migrates");
    for (i, plan) in ["wenshui", "141182", "wenshui"].into_iter().enumerate() {
        let mut r = rec(i);
        r.plan = Some(plan.into());
        h.record(&r).unwrap();
    }
    let all = h.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all.last().unwrap().plan, None, "the old row has no plan");
    let of = |p: &str| Query {
        plan: Some(p.into()),
        ..Query::default()
    };
    let w = h.list(&of("wenshui")).unwrap();
    assert_eq!(w.len(), 2);
    assert!(w.iter().all(|r| r.plan.as_deref() == Some("wenshui")));
    assert_eq!(h.count(&of("141182")).unwrap(), 1);
    assert_eq!(h.count(&of("nowhere")).unwrap(), 0);
    // The CSV's last column and the GeoJSON's properties carry it.
    assert!(to_csv(&w).lines().nth(1).unwrap().ends_with(",wenshui,,,"));
    let fc: Value = serde_json::from_str(&to_geojson(&w)).unwrap();
    assert_eq!(fc["features"][0]["properties"]["plan"], "wenshui");
}

#[test]
fn batch_sites_keep_their_batch_and_are_selected_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(&dir);
    let single = h.record(&rec(0)).unwrap();
    let batch = |id: &str, feature: i64| planmap_history::BatchRef {
        id: id.into(),
        file: Some("  项目清单.zip ".into()),
        feature,
    };
    let mut pending = Vec::new();
    for (i, f) in [(1, 1), (2, 3), (3, 7)] {
        pending.push(h.submit_in_batch(&rec(i), &batch("B-1", f)).unwrap());
    }
    pending.push(h.submit_in_batch(&rec(4), &batch("B-2", 1)).unwrap());
    let ids: Vec<i64> = pending.into_iter().map(|p| p.wait().unwrap()).collect();

    let q = |b: &str| Query {
        batch: Some(b.into()),
        ..Query::default()
    };
    let b1 = h.list(&q("B-1")).unwrap();
    assert_eq!(h.count(&q("B-1")).unwrap(), 3);
    let mut features: Vec<i64> = b1
        .iter()
        .map(|r| {
            let b = r.batch.as_ref().expect("a batch site names its batch");
            assert_eq!(b.id, "B-1");
            assert_eq!(b.file.as_deref(), Some("项目清单.zip"), "trimmed");
            b.feature
        })
        .collect();
    features.sort();
    assert_eq!(features, [1, 3, 7]);
    assert_eq!(h.list(&q("B-2")).unwrap()[0].id, ids[3]);
    assert!(h.list(&q("none")).unwrap().is_empty());
    // A single check has no batch, and its JSON has no `batch` member.
    let all = h.list(&Query::default()).unwrap();
    let one = all.iter().find(|r| r.id == single).unwrap();
    assert!(one.batch.is_none());
    assert!(serde_json::to_value(one).unwrap().get("batch").is_none());
    assert_eq!(all.len(), 5);

    // The exports carry the batch: three CSV columns (empty for the single check), and the
    // GeoJSON's `batch` property (absent for it).
    let text = to_csv(&all);
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let row = |id: i64| rows.iter().find(|r| r[0] == id.to_string()).unwrap();
    let third = row(ids[2]);
    assert_eq!(
        (
            &third[col("batch_id")],
            &third[col("batch_file")],
            &third[col("batch_feature")]
        ),
        ("B-1", "项目清单.zip", "7")
    );
    let lone = row(single);
    assert_eq!(
        (
            &lone[col("batch_id")],
            &lone[col("batch_file")],
            &lone[col("batch_feature")]
        ),
        ("", "", "")
    );
    let fc: Value = serde_json::from_str(&to_geojson(&all)).unwrap();
    let props = |id: i64| {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["properties"]
            .clone()
    };
    assert_eq!(
        props(ids[3])["batch"],
        serde_json::json!({"id": "B-2", "file": "项目清单.zip", "feature": 1})
    );
    assert!(props(single).get("batch").is_none());

    // Bad batch references and filters are refused, nothing written.
    assert!(h.submit_in_batch(&rec(5), &batch("a b", 1)).is_err());
    assert!(h.submit_in_batch(&rec(5), &batch("B-3", 0)).is_err());
    assert!(h.list(&q("x;DROP")).is_err());
    assert_eq!(h.count(&Query::default()).unwrap(), 5);
}

#[test]
fn a_first_version_database_gains_the_batch_columns_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        // The schema as version 1 wrote it, with one record.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE checks (
                id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, verdict TEXT NOT NULL,
                site_area_m2 REAL NOT NULL, overlaps TEXT NOT NULL, data_version TEXT NOT NULL,
                source TEXT NOT NULL, project TEXT, applicant TEXT, site TEXT NOT NULL,
                check_key TEXT);
             CREATE INDEX checks_time ON checks (time, id);
             CREATE UNIQUE INDEX checks_key ON checks (check_key);
             INSERT INTO checks (time, verdict, site_area_m2, overlaps, data_version, source, site)
               VALUES ('2026-01-01T00:00:00.000Z', '通过', 1.5, '[]', 'v1', 'api',
                       '{\"type\":\"Point\",\"coordinates\":[112,37]}');
             PRAGMA user_version = 1;
             PRAGMA application_id = 1886218345;",
        )
        .unwrap();
    }
    let h = History::open(&path).unwrap();
    let all = h.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].batch.is_none());
    let b = planmap_history::BatchRef {
        id: "B".into(),
        file: None,
        feature: 2,
    };
    h.submit_in_batch(&rec(1), &b).unwrap().wait().unwrap();
    let q = Query {
        batch: Some("B".into()),
        ..Query::default()
    };
    assert_eq!(h.list(&q).unwrap()[0].batch.as_ref().unwrap().feature, 2);
}
