//! `kill -9` of the real `planmap serve` while checks are being posted, three times on one
//! history file: after each restart every check that was answered 200 (with its
//! `Planmap-History-Id`) is in the history, with the project its client sent and the verdict
//! it was told, and the ids have no holes.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use planmap_tests::{data_dir, planmap_bin, rect_geojson, ServeProcess};
use serde_json::Value;

const TOKEN: &str = "kill-test-token-0123456789";
const CLIENTS: usize = 3;

/// `planmap serve` on the built-in plan with `db` as its history (killed on drop).
fn serve(db: &Path) -> ServeProcess {
    let db = db.to_str().unwrap();
    ServeProcess::start(
        &data_dir(),
        &["--history", db],
        &[("PLANMAP_ADMIN_TOKEN", TOKEN)],
    )
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap()
}

/// An answered check: its record id, the project sent, the verdict answered.
type Ack = (i64, String, String);

/// Posts checks until the server is gone; sends each answered one; returns any status other
/// than 200 it was given.
fn poster(base: String, round: usize, n: usize, tx: mpsc::Sender<Ack>) -> Vec<u16> {
    let c = client();
    let mut odd = Vec::new();
    for i in 0.. {
        // Small sites over the county, a different one each time.
        let x = 112.05 + (i % 40) as f64 * 0.002;
        let y = 37.40 + (n * 7 + i / 40) as f64 % 50.0 * 0.002;
        let site = rect_geojson(x, y, x + 0.0008, y + 0.0006);
        let project = format!("r{round}-c{n}-{i}");
        let r = match c
            .post(format!("{base}/api/check?project={project}"))
            .body(site)
            .send()
        {
            Ok(r) => r,
            Err(_) => break, // killed
        };
        if r.status() != 200 {
            odd.push(r.status().as_u16());
            continue;
        }
        let id: i64 = r
            .headers()
            .get("planmap-history-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("a 200 check names its record");
        // The body may be cut by the kill; the 200 and its id were already given.
        let verdict = r
            .json::<Value>()
            .ok()
            .and_then(|v| v["verdict"].as_str().map(str::to_string))
            .unwrap_or_default();
        if tx.send((id, project, verdict)).is_err() {
            break;
        }
    }
    odd
}

#[test]
fn every_answered_check_survives_kill_9_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let mut acked: Vec<Ack> = Vec::new();
    for round in 0..3 {
        let s = serve(&db);
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let (base, tx) = (s.url.clone(), tx.clone());
                std::thread::spawn(move || poster(base, round, n, tx))
            })
            .collect();
        drop(tx);
        for _ in 0..25 + 10 * round {
            acked.push(rx.recv().expect("the server answers checks"));
        }
        // While the posters go on: SIGKILL, no shutdown of any kind.
        drop(s);
        for t in threads {
            assert_eq!(t.join().unwrap(), Vec::<u16>::new(), "round {round}");
        }
        // Answers that arrived before the kill.
        acked.extend(rx.try_iter());
    }

    let s = serve(&db);
    let r = client()
        .get(format!("{}/api/history?limit=1000", s.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().unwrap();
    let stored: HashMap<i64, &Value> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r))
        .collect();
    for (id, project, verdict) in &acked {
        let rec = stored
            .get(id)
            .unwrap_or_else(|| panic!("answered check {id} ({project}) is not in the history"));
        assert_eq!(rec["project"], project.as_str(), "record {id}");
        if !verdict.is_empty() {
            assert_eq!(rec["verdict"], verdict.as_str(), "record {id}");
        }
    }
    let max = stored.keys().max().copied().unwrap();
    assert_eq!(stored.len() as i64, max, "ids 1..={max} with none missing");
    assert_eq!(list["total"], max);
    eprintln!(
        "{} answered checks over 3 kills, {} records",
        acked.len(),
        stored.len()
    );
}

#[test]
fn a_history_file_that_is_not_one_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(
        &notes,
        "会议纪要 — minutes of a meeting, not a database at all",
    )
    .unwrap();
    let o = Command::new(planmap_bin())
        .arg("--data")
        .arg(data_dir())
        .args(["serve", "--addr", "127.0.0.1:0", "--history"])
        .arg(&notes)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&*notes.to_string_lossy()), "{err}");
    assert!(err.contains("not an SQLite database"), "{err}");
    assert!(o.stdout.is_empty(), "it never served");
    // The file is as it was.
    assert!(std::fs::read_to_string(&notes)
        .unwrap()
        .starts_with("会议纪要"));
}

/// `planmap serve` says at start how its history is kept: the file, the WAL journal,
/// `synchronous=FULL` and group commit — or that checks are not recorded.
#[test]
fn serve_says_how_durable_its_history_is() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.sqlite");
    let first_lines = |extra: &[&str]| -> String {
        let mut child = Command::new(planmap_bin())
            .arg("--data")
            .arg(data_dir())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        for _ in 0..2 {
            out.read_line(&mut text).unwrap();
        }
        let _ = child.kill();
        let _ = child.wait();
        text
    };
    let on = first_lines(&["--history", db.to_str().unwrap()]);
    let says = on.lines().nth(1).unwrap_or_default();
    for part in [
        &*db.to_string_lossy(),
        "WAL journal",
        "synchronous=FULL",
        "group commit",
    ] {
        assert!(says.contains(part), "no {part:?} in {on:?}");
    }
    let off = first_lines(&["--no-history"]);
    assert!(
        off.lines()
            .nth(1)
            .unwrap_or_default()
            .contains("history off"),
        "{off}"
    );
}
