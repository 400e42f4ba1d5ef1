//! `kill -9` mid-write: a child process (this test binary, run again as the writer) records in
//! a tight loop and prints each id once `record` has returned it; the test SIGKILLs the child
//! while it writes, reopens the database and finds every acknowledged id, an intact database,
//! and room for new records. Five rounds on one file. Then the same with eight writer threads
//! in the child, whose records share commits (group commit): every id any of them was given
//! is there after the kill.
//!
//! (A SIGKILL loses what the process had not handed to the kernel; `synchronous=FULL`, checked
//! in tests/store.rs, is what covers a power cut, which no test here can make.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use planmap_history::{History, NewRecord, Query, Source};
use serde_json::json;

const CHILD_ENV: &str = "PLANMAP_HISTORY_WRITER_DB";
const WRITERS_ENV: &str = "PLANMAP_HISTORY_WRITERS_DB";
/// Writer threads of the concurrent child.
const THREADS: u64 = 8;

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
        plan: None,
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

/// The concurrent writer: [`THREADS`] threads on one `History`, each printing its ids as
/// they are returned, and now and then the writer's commits and records so far.
#[test]
fn writers_child() {
    let Ok(db) = std::env::var(WRITERS_ENV) else {
        return;
    };
    use std::io::Write;
    let h = History::open(&db).expect("the writers open the history");
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let h = h.clone();
            std::thread::spawn(move || {
                for i in 0.. {
                    let id = h
                        .record(&record(t * 1_000_000 + i))
                        .expect("a writer records");
                    let s = h.stats();
                    // One write call a line: lines of different threads do not interleave.
                    let line = format!("\nACK {id}\nSTATS {} {}\n", s.commits, s.records);
                    let mut out = std::io::stdout().lock();
                    out.write_all(line.as_bytes()).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn acked_ids(line: &str) -> impl Iterator<Item = i64> + '_ {
    line.split("ACK ")
        .skip(1)
        .filter_map(|s| s.trim().parse().ok())
}

/// Starts the writer on `db`, reads `want` acknowledgements, SIGKILLs it; returns the ids.
fn write_and_kill(db: &Path, want: usize) -> Vec<i64> {
    write_and_kill_with(db, want, "writer_child", CHILD_ENV).0
}

/// [`write_and_kill`] with the child `test` (named by `env`); also the last commit and record
/// counts the child printed.
fn write_and_kill_with(db: &Path, want: usize, test: &str, env: &str) -> (Vec<i64>, (u64, u64)) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the writer starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    let mut stats = (0, 0);
    while acked.len() < want {
        let line = lines
            .next()
            .expect("the writer stopped before it wrote enough")
            .unwrap();
        acked.extend(acked_ids(&line));
        if let Some(s) = line.strip_prefix("STATS ") {
            let v: Vec<u64> = s.split(' ').filter_map(|n| n.trim().parse().ok()).collect();
            if v.len() == 2 {
                stats = stats.max((v[0], v[1]));
            }
        }
    }
    // SIGKILL on Unix: no destructors, no checkpoint, possibly in the middle of a commit.
    child.kill().unwrap();
    child.wait().unwrap();
    (acked, stats)
}

/// Every acknowledged id is stored, the database is sound, and ids have no holes: they are
/// handed out in order and never reused, so the stored ones are 1..=max (rows past the last
/// acknowledged one were committed but not yet read).
fn all_there(db: &Path, acked: &[i64], round: usize) -> History {
    let h = History::open(db).expect("reopens after kill -9");
    assert_eq!(h.integrity_check().unwrap(), "ok", "round {round}");
    let stored: std::collections::BTreeSet<i64> = h
        .list(&Query::default())
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    for id in acked {
        assert!(
            stored.contains(id),
            "round {round}: acknowledged id {id} lost"
        );
    }
    let max = *stored.iter().max().unwrap();
    assert_eq!(
        stored.len() as i64,
        max,
        "round {round}: a stored id is missing"
    );
    h
}

#[test]
fn concurrent_writers_share_commits_and_lose_nothing_to_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let mut all_acked: Vec<i64> = Vec::new();
    let (mut commits, mut records) = (0, 0);
    for round in 0..3 {
        let (acked, (c, r)) =
            write_and_kill_with(&db, 400 + 150 * round, "writers_child", WRITERS_ENV);
        let unique: std::collections::BTreeSet<i64> = acked.iter().copied().collect();
        assert_eq!(
            unique.len(),
            acked.len(),
            "round {round}: an id given twice"
        );
        all_acked.extend(&acked);
        commits += c;
        records += r;
        all_there(&db, &all_acked, round);
    }
    // Eight threads writing at once: commits carried more than one record on average.
    assert!(
        records > commits,
        "{records} records in {commits} commits: no commit was shared"
    );
    eprintln!(
        "{} acknowledged records from {THREADS} threads over 3 kills; {records} records in \
         {commits} commits ({:.1} a commit)",
        all_acked.len(),
        records as f64 / commits.max(1) as f64
    );
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

        let h = all_there(&db, &all_acked, round);
        let max = h.count(&Query::default()).unwrap() as i64;
        extra = max as usize - all_acked.len();
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
