//! Work bounded by its request, seen from outside a real `planmap serve` process: a check
//! past its deadline, a client that leaves, a batch's progress stream dropped, SIGTERM
//! mid-check. Each time the server's own CPU
//! (from /proc) is idle within 2 s of the answer (or of the client's departure), and the
//! check history holds a record for exactly the checks answered 200 — none for a 503 or an
//! abandoned check, even seconds later.

mod proc_support;

use std::time::{Duration, Instant};

use planmap_tests::{data_dir, record_ids, rect_geojson, ServeProcess};
use proc_support::*;
use serde_json::Value;

const TOKEN: &str = "bounded-test-token-0123456789";
/// CPU seconds a stopped check may still spend after its answer (the whole 1,000,000-vertex
/// check takes about 2 s of CPU: work left running would spend most of it).
const STOPPED_CPU: f64 = 0.8;

/// A server of these tests and the temp folder of its history, removed after the server stops
/// (fields drop in order), even when the test fails.
struct Served {
    server: ServeProcess,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Served {
    type Target = ServeProcess;
    fn deref(&self) -> &ServeProcess {
        &self.server
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut ServeProcess {
        &mut self.server
    }
}

/// `planmap serve` with its own history (`db` in a temp folder) and `extra` options; waits
/// until its start-up work (the conflict scan) is done, so the CPU measured afterwards is the
/// test's.
fn serve(db: &str, extra: &[&str]) -> Served {
    let dir = tempfile::Builder::new()
        .prefix("planmap-bounded-")
        .tempdir()
        .unwrap();
    let db = dir.path().join(db);
    let mut args = vec!["--history", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let s = ServeProcess::start(&data_dir(), &args, &[("PLANMAP_ADMIN_TOKEN", TOKEN)]);
    assert!(
        seconds_until_idle(s.child.id(), 120.0).is_some(),
        "the server never settled after start"
    );
    Served {
        server: s,
        _dir: dir,
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap()
}

/// Records in the server's history (the keeper's listing).
fn records(base: &str) -> Vec<i64> {
    let r = client()
        .get(format!("{base}/api/history?limit=1000"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    record_ids(&r.json().unwrap())
}

/// A valid site of `n` vertices, ~10 km around the plain where the farmland is: a star-shaped
/// ring (radius a function of the angle, angles increasing: simple) whose wiggles cross
/// field after field.
fn big_site(n: usize) -> String {
    star(n, 112.13, 37.40, 10_600.0)
}

/// A star-shaped ring of `n` vertices around (`cx`, `cy`), radius about `r0` metres.
fn star(n: usize, cx: f64, cy: f64, r0: f64) -> String {
    let m_lat = 111_320.0;
    let m_lon = m_lat * cy.to_radians().cos();
    let mut s = String::with_capacity(n * 26);
    s.push_str(r#"{"type":"Polygon","coordinates":[["#);
    let first = |i: usize| {
        let t = std::f64::consts::TAU * i as f64 / (n - 1) as f64;
        let r = r0 * (1.0 + 0.01 * (37.0 * t).sin() + 0.002 * (997.0 * t).sin());
        (cx + r * t.cos() / m_lon, cy + r * t.sin() / m_lat)
    };
    for i in 0..n {
        let (x, y) = first(if i == n - 1 { 0 } else { i });
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("[{x:.7},{y:.7}]"));
    }
    s.push_str("]]}");
    s
}

/// A small site on farmland: answered quickly.
fn small_site() -> String {
    rect_geojson(112.05, 37.40, 112.0508, 37.4006)
}

#[test]
fn a_check_past_its_deadline_stops_and_leaves_no_record() {
    let s = serve(
        "deadline.sqlite",
        &[
            "--request-timeout",
            "1",
            "--max-vertices",
            "1200000",
            "--body-limit",
            "64000000",
        ],
    );
    let pid = s.child.id();
    // A million vertices: seconds of work, far past the deadline.
    let site = big_site(1_000_000);
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let r = client()
        .post(format!("{}/api/check", s.url))
        .body(site)
        .send()
        .unwrap();
    let answered = t0.elapsed().as_secs_f64();
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("planmap-history-id").is_none());
    let body: Value = r.json().unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("limit of 1 s"),
        "{body}"
    );
    let cpu_during = cpu_seconds(pid) - cpu0;
    let (idle, cpu_after) = cpu_until_idle(pid, 30.0).expect("the server's CPU never went idle");
    eprintln!(
        "1,000,000-vertex check, --request-timeout 1: 503 after {answered:.2} s; server CPU \
         during the request {cpu_during:.2} s; idle {idle:.2} s ({cpu_after:.2} s of CPU) after \
         the answer"
    );
    assert!(
        cpu_after <= STOPPED_CPU,
        "{cpu_after:.2} s of CPU spent after the 503"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(records(&s.url), Vec::<i64>::new(), "a 503 left a record");
    // The slot is free again, and an answered check is recorded.
    let ok = client()
        .post(format!("{}/api/check", s.url))
        .body(small_site())
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    let id: i64 = ok.headers()["planmap-history-id"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(records(&s.url), vec![id]);
}

#[test]
fn checks_at_the_vertex_limit_under_a_short_deadline_are_recorded_only_when_answered() {
    // Several 99,999-vertex checks at once (with their GeoJSON: the pieces cut too): more
    // CPU than the cores give within the 1 s limit, so some are answered and some are not.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let n = 6 * cores;
    let n_s = n.to_string();
    let s = serve(
        "limit.sqlite",
        &[
            "--request-timeout",
            "1",
            "--max-heavy",
            &n_s,
            "--heavy-wait",
            "30",
        ],
    );
    let pid = s.child.id();
    let site = std::sync::Arc::new(big_site(99_999));
    let posts: Vec<_> = (0..n)
        .map(|_| {
            let (url, site) = (s.url.clone(), std::sync::Arc::clone(&site));
            std::thread::spawn(move || {
                let r = client()
                    .post(format!("{url}/api/check?geometry=true"))
                    .body(site.as_str().to_string())
                    .send()
                    .unwrap();
                let id = r
                    .headers()
                    .get("planmap-history-id")
                    .map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
                (r.status().as_u16(), id)
            })
        })
        .collect();
    let answers: Vec<(u16, Option<i64>)> = posts.into_iter().map(|h| h.join().unwrap()).collect();
    let (idle, cpu_after) = cpu_until_idle(pid, 30.0).expect("the server's CPU never went idle");
    let mut answered: Vec<i64> = Vec::new();
    let mut refused = 0;
    for (status, id) in &answers {
        match (status, id) {
            (200, Some(id)) => answered.push(*id),
            (503, None) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    eprintln!(
        "{n} checks of 99,999 vertices, --request-timeout 1 on {cores} cores: {} answered, \
         {refused} × 503; server CPU idle {idle:.2} s ({cpu_after:.2} s of CPU) after the last \
         answer",
        answered.len()
    );
    assert!(
        refused > 0,
        "every check beat the deadline: the test shows nothing"
    );
    assert!(
        cpu_after <= STOPPED_CPU,
        "{cpu_after:.2} s of CPU spent after the last answer"
    );
    std::thread::sleep(Duration::from_secs(3));
    let mut recorded = records(&s.url);
    recorded.sort_unstable();
    answered.sort_unstable();
    assert_eq!(recorded, answered, "records ≠ the checks answered 200");
}

#[test]
fn a_client_that_leaves_stops_its_check() {
    let s = serve(
        "gone.sqlite",
        &["--max-vertices", "1200000", "--body-limit", "64000000"],
    );
    let pid = s.child.id();
    let site = big_site(1_000_000);
    let cpu0 = cpu_seconds(pid);
    let sock = send_request(&s.url, "POST /api/check HTTP/1.1", site.as_bytes());
    wait_busy(pid, cpu0, 0.5, Duration::from_secs(60));
    drop(sock);
    let (idle, cpu_after) = cpu_until_idle(pid, 30.0).expect("the server's CPU never went idle");
    eprintln!(
        "1,000,000-vertex check, client gone mid-check: server CPU idle {idle:.2} s later \
         ({cpu_after:.2} s of CPU)"
    );
    assert!(
        cpu_after <= STOPPED_CPU,
        "{cpu_after:.2} s of CPU spent after the client left"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        records(&s.url),
        Vec::<i64>::new(),
        "an abandoned check left a record"
    );
}

#[test]
fn a_batch_stream_dropped_stops_its_checks_and_records_nothing() {
    let s = serve(
        "batch.sqlite",
        &["--max-vertices", "1200000", "--body-limit", "64000000"],
    );
    let pid = s.child.id();
    // 60 sites of 30,000 vertices, 5 km across, in a row over the plain's farmland (inside
    // the big site above, so inside the county).
    let sites: Vec<String> = (0..60)
        .map(|i| {
            let geometry = star(30_000, 112.06 + 0.0025 * i as f64, 37.40, 2_500.0);
            format!(r#"{{"type":"Feature","properties":{{}},"geometry":{geometry}}}"#)
        })
        .collect();
    let body = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        sites.join(",")
    );
    let head = "POST /api/check/batch?progress=ndjson HTTP/1.1\nContent-Type: application/geo+json";
    let cpu0 = cpu_seconds(pid);
    let mut sock = send_request(&s.url, head, body.as_bytes());
    // Two sites checked (their progress lines read), then the client leaves.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    sock.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    while !String::from_utf8_lossy(&got).contains(r#""done":2,"#) {
        use std::io::Read;
        let n = sock.read(&mut buf).expect("the progress stream");
        assert!(
            n > 0,
            "the stream ended early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    let before = cpu_seconds(pid) - cpu0;
    drop(sock);
    let (idle, after) = cpu_until_idle(pid, 60.0).expect("the server's CPU never went idle");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        records(&s.url),
        Vec::<i64>::new(),
        "an abandoned batch left records"
    );
    // The same batch to its end, for what the whole costs here: 60 records.
    let cpu1 = cpu_seconds(pid);
    let r = client()
        .post(format!("{}/api/check/batch", s.url))
        .header("content-type", "application/geo+json")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let whole = cpu_seconds(pid) - cpu1;
    assert_eq!(records(&s.url).len(), 60);
    eprintln!(
        "batch of 60 × 30,000-vertex sites (whole: {whole:.2} s of CPU), stream dropped after \
         2 sites ({before:.2} s): server CPU idle {idle:.2} s later ({after:.2} s of CPU)"
    );
    assert!(
        whole - before > 3.0 * STOPPED_CPU,
        "the batch is too quick to show anything"
    );
    assert!(
        after <= STOPPED_CPU,
        "{after:.2} s of CPU spent after the client left"
    );
}

#[test]
fn sigterm_mid_check_answers_503_and_exits_within_the_grace() {
    let mut s = serve(
        "term.sqlite",
        &[
            "--max-vertices",
            "1200000",
            "--body-limit",
            "64000000",
            "--shutdown-grace",
            "3",
        ],
    );
    let pid = s.child.id();
    let url = s.url.clone();
    let site = big_site(1_000_000);
    let cpu0 = cpu_seconds(pid);
    let post = std::thread::spawn(move || {
        let r = client()
            .post(format!("{url}/api/check"))
            .body(site)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().unwrap_or_default())
    });
    wait_busy(pid, cpu0, 0.5, Duration::from_secs(60));
    let t0 = Instant::now();
    sigterm(pid);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let exited = t0.elapsed().as_secs_f64();
    let (code, body) = post.join().unwrap();
    eprintln!("SIGTERM mid-check, --shutdown-grace 3: the check answered {code}, exit after {exited:.2} s");
    assert!(status.success(), "exit status {status}");
    assert!(exited <= 3.5, "exited {exited:.2} s after SIGTERM");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("shutting down"), "{body}");
}
