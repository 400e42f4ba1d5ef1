//! `kill -9` mid-write: a child process (this test binary, run again as the writer) records in
//! a tight loop and prints each id once `record` has returned it; the test SIGKILLs the child
//! while it writes, reopens the database and finds every acknowledged id, an intact database,
//! and room for new records. Five rounds on one file.
//!
//! (A SIGKILL loses what the process had not handed to the kernel; `synchronous=FULL`, checked
//! in tests/store.rs, is what covers a power cut, which no test here can make.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use planmap_history::{History, NewRecord, Query, Source};
use serde_json::json;

const CHILD_ENV: &str = "PLANMAP_HISTORY_WRITER_DB";

fn record(i: u64) -> NewRecord {
    // A site of a few hundred vertices, so a write spans several pages and takes a while.
    let ring: Vec<String> = (0..=400)
        .map(|k| {
            let a = (k % 400) as f64 / 400.0 * std::f64::consts::TAU;
            format!("[{},{}]", 117.0 + 0.01 * a.cos(), 36.0 + 0.01 * a.sin())
        })
        .collect();
    NewRecord {
        time: planmap_history::time::now_rfc3339(),
        site: format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            ring.join(",")
        ),
        verdict: "需论证".into(),
        site_area_m2: 1.0 + i as f64,
        overlaps: json!([{"layer": "forest", "name": "公益林", "area_m2": i}]),
        data_version: "kill-test".into(),
        source: Source::Cli,
        project: Some(format!("写入者 {i}")),
        applicant: None,
        key: None,
    }
}

/// The writer: runs only when the parent starts this binary with [`CHILD_ENV`] set.
#[test]
fn writer_child() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    use std::io::Write;
    let h = History::open(&db).expect("the writer opens the history");
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let id = h.record(&record(i)).expect("the writer records");
        // Own line, flushed: the parent counts only what it has read.
        writeln!(out, "\nACK {id}").unwrap();
        out.flush().unwrap();
    }
}

fn acked_ids(line: &str) -> impl Iterator<Item = i64> + '_ {
    line.split("ACK ")
        .skip(1)
        .filter_map(|s| s.trim().parse().ok())
}

/// Starts the writer on `db`, reads `want` acknowledgements, SIGKILLs it; returns the ids.
fn write_and_kill(db: &Path, want: usize) -> Vec<i64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the writer starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < want {
        let line = lines
            .next()
            .expect("the writer stopped before it wrote enough")
            .unwrap();
        acked.extend(acked_ids(&line));
    }
    // SIGKILL on Unix: no destructors, no checkpoint, possibly in the middle of a commit.
    child.kill().unwrap();
    child.wait().unwrap();
    acked
}

#[test]
fn acknowledged_records_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let mut all_acked: Vec<i64> = Vec::new();
    let mut extra = 0;
    for round in 0..5 {
        let acked = write_and_kill(&db, 40 + 17 * round);
        assert!(!acked.is_empty());
        all_acked.extend(&acked);
        // The killed writer left its write-ahead log behind: reopening recovers from it.
        let wal = db.with_extension("sqlite-wal");
        assert!(wal.exists(), "round {round}: no WAL file after the kill");

        let h = History::open(&db).expect("reopens after kill -9");
        assert_eq!(h.integrity_check().unwrap(), "ok", "round {round}");
        let stored: std::collections::BTreeSet<i64> = h
            .list(&Query::default())
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        for id in &all_acked {
            assert!(
                stored.contains(id),
                "round {round}: acknowledged id {id} lost"
            );
        }
        // No holes: ids are handed out in order and never reused, so the stored ones are
        // 1..=max (rows past the last acknowledged one were committed but not yet read).
        let max = *stored.iter().max().unwrap();
        assert_eq!(
            stored.len() as i64,
            max,
            "round {round}: a stored id is missing"
        );
        extra = stored.len() - all_acked.len();
        let id = h.record(&record(9_999)).expect("records after the kill");
        assert_eq!(id, max + 1);
        all_acked.push(id);
        let rec = &h
            .list(&Query {
                limit: Some(1),
                ..Query::default()
            })
            .unwrap()[0];
        assert_eq!((rec.id, rec.project.as_deref()), (id, Some("写入者 9999")));
    }
    eprintln!(
        "{} acknowledged records over 5 kills, {extra} more committed than acknowledged",
        all_acked.len()
    );
}
