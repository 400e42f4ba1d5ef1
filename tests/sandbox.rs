//! Untrusted files are read in a sandbox (issue 17): a real `planmap serve` process is sent
//! hostile GeoPackages — a view over an endless recursive query, a view of 100 MB blobs, a view
//! calling `load_extension` — as check uploads, and what a user (and the machine's owner) sees
//! is measured from outside: the JSON answer naming the limit, the server's CPU time and RSS
//! from `/proc/<pid>`, its reader processes, and how SIGTERM ends it.
//!
//! The GeoPackages are made here: GDAL's `ogr2ogr` writes the site fixture as a GeoPackage,
//! then SQLite (rusqlite) replaces its feature table with the view.

mod import_support;

use std::process::Command;
use std::time::{Duration, Instant};

use import_support::{ogr2ogr, Plan};
use planmap_tests::{data_dir, ServeProcess};
use serde_json::Value;

/// A GeoPackage whose only feature table is the view `sql`, in which `{GEOM}` stands for the
/// site fixture's polygon (a GeoPackage geometry blob).
fn gpkg_with_view(sql: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.gpkg");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/site_park.geojson");
    ogr2ogr(&["-f", "GPKG", "-nln", "site", path.to_str().unwrap(), src]);
    let c = rusqlite::Connection::open(&path).unwrap();
    let geom: Vec<u8> = c
        .query_row("SELECT geom FROM site LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let hex: String = geom.iter().map(|b| format!("{b:02X}")).collect();
    let view = sql.replace("{GEOM}", &format!("X'{hex}'"));
    c.execute_batch(&format!(
        "DELETE FROM gpkg_geometry_columns; DELETE FROM gpkg_contents; DROP TABLE site;
         CREATE VIEW v AS {view};
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('v', 'features', 'v', 4326);
         INSERT INTO gpkg_geometry_columns VALUES ('v', 'geom', 'POLYGON', 4326, 0, 0);"
    ))
    .unwrap();
    drop(c);
    std::fs::read(&path).unwrap()
}

/// The endless view of issue 17.
fn endless() -> Vec<u8> {
    gpkg_with_view(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
         SELECT x AS fid, {GEOM} AS geom FROM c",
    )
}

/// A view of 50 rows, each with twelve 100 MB blobs.
fn blobs() -> Vec<u8> {
    let cols: String = (1..=12)
        .map(|i| format!(", zeroblob(100000000) AS b{i}"))
        .collect();
    gpkg_with_view(&format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) \
         SELECT x AS fid, {{GEOM}} AS geom{cols} FROM c"
    ))
}

fn start(extra: &[&str]) -> ServeProcess {
    let mut args = vec!["--no-history"];
    args.extend_from_slice(extra);
    ServeProcess::start(&data_dir(), &args, &[])
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap()
}

/// Posts a GeoPackage as a check upload: the status and the JSON body.
fn post_gpkg(base: &str, bytes: Vec<u8>) -> (u16, Value) {
    let r = client()
        .post(format!("{base}/api/check?input=gpkg"))
        .header("content-type", "application/geopackage+sqlite3")
        .body(bytes)
        .send()
        .expect("an answer");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().unwrap();
    assert!(ct.contains("json"), "{status} {ct}: {text}");
    (status, serde_json::from_str(&text).unwrap())
}

/// A process's fields from `/proc/<pid>/stat` after its name: [state, ppid, …].
fn stat(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// CPU time (user + system, clock ticks) a process has used, its waited-for children not.
fn cpu_ticks(pid: u32) -> u64 {
    stat(pid).map_or(0, |f| {
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    })
}

/// The live child processes of `pid` (the server's readers).
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|c| stat(*c).is_some_and(|f| f[1] == pid.to_string() && f[0] != "Z"))
        .collect()
}

/// CPU ticks of the server and its live children together.
fn family_ticks(pid: u32) -> u64 {
    cpu_ticks(pid) + children(pid).into_iter().map(cpu_ticks).sum::<u64>()
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Waits until the server and its readers use (almost) no CPU over a half second — at most
/// 3 ticks (30 ms, 6 % of one core) — and returns how long that took from now; panics if they
/// are not idle within `within`.
fn idle_within(pid: u32, within: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        let before = family_ticks(pid);
        std::thread::sleep(Duration::from_millis(500));
        let used = family_ticks(pid).saturating_sub(before);
        if used <= 3 {
            // The window that proved it idle started this long after the answer.
            return t0.elapsed() - Duration::from_millis(500);
        }
        assert!(
            t0.elapsed() < within + Duration::from_millis(500),
            "server {pid} and its readers still busy {:?} after the answer ({used} ticks in \
             the last 0.5 s; children {:?})",
            t0.elapsed(),
            children(pid)
        );
    }
}

/// Sends SIGTERM and waits up to `grace` for the process to end.
fn terminate(s: &mut ServeProcess, grace: Duration) -> Duration {
    let pid = s.child.id();
    let t0 = Instant::now();
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    loop {
        if s.child.try_wait().unwrap().is_some() {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < grace,
            "planmap serve still runs {grace:?} after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_endless_view_is_stopped_at_the_cpu_limit_and_leaves_the_server_idle() {
    let gpkg = endless();
    let mut s = start(&["--reader-cpu-seconds", "2"]);
    let pid = s.child.id();
    let (status, v) = post_gpkg(&s.url, gpkg);
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["limit"], "reader_cpu_seconds", "{v}");
    assert_eq!(v["limit_value"], 2, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("CPU time limit of 2 s"), "{v}");
    let idle = idle_within(pid, Duration::from_secs(2));
    // The readers the server keeps are idle, and the one that read the file is gone.
    let readers = children(pid);
    assert!(readers.len() <= 2, "{readers:?}");
    // The server still answers, then SIGTERM ends it within its grace time.
    let r = client().get(format!("{}/api/plan", s.url)).send().unwrap();
    assert_eq!(r.status(), 200);
    let ended = terminate(&mut s, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<u32> = readers.into_iter().filter(|r| stat(*r).is_some()).collect();
    assert!(left.is_empty(), "readers left after the server: {left:?}");
    eprintln!(
        "endless view: 413 naming reader_cpu_seconds; server idle {idle:?} after the answer; \
         SIGTERM ended it in {ended:?}"
    );
}

#[test]
fn a_view_of_100_mb_blobs_does_not_grow_the_server() {
    let gpkg = blobs();
    let s = start(&[]);
    let pid = s.child.id();
    // Warm: one ordinary upload read through a reader first.
    let (status, v) = post_gpkg(&s.url, gpkg_with_view("SELECT 1 AS fid, {GEOM} AS geom"));
    assert_eq!(status, 200, "{v}");
    let before = rss_kib(pid);
    for _ in 0..3 {
        let (status, v) = post_gpkg(&s.url, gpkg.clone());
        assert_eq!(status, 413, "{v}");
        assert_eq!(v["limit"], "reader_memory_mb", "{v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("memory limit of 1024 MiB"),
            "{v}"
        );
    }
    let after = rss_kib(pid);
    eprintln!("100 MB blobs ×3: server RSS {before} KiB before, {after} KiB after");
    assert!(
        after < before + 20 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    idle_within(pid, Duration::from_secs(2));
}

#[test]
fn five_endless_uploads_at_once_leave_no_cpu_busy() {
    let gpkg = endless();
    let s = start(&["--reader-cpu-seconds", "2"]);
    let pid = s.child.id();
    let answers: Vec<(u16, Value)> = std::thread::scope(|sc| {
        let posts: Vec<_> = (0..5)
            .map(|_| sc.spawn(|| post_gpkg(&s.url, gpkg.clone())))
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    for (status, v) in &answers {
        // Each is stopped at its limit, or refused while the heavy slots are taken.
        assert!(
            (*status == 413 && v["limit"] == "reader_cpu_seconds") || *status == 503,
            "{status} {v}"
        );
    }
    assert!(answers.iter().any(|(s, _)| *s == 413), "{answers:?}");
    let idle = idle_within(pid, Duration::from_secs(2));
    eprintln!("five endless views at once: server and readers idle {idle:?} after the last answer");
}

#[test]
fn a_request_that_times_out_stops_its_reader() {
    let gpkg = endless();
    let s = start(&["--reader-cpu-seconds", "60", "--request-timeout", "2"]);
    let pid = s.child.id();
    let t0 = Instant::now();
    let (status, v) = post_gpkg(&s.url, gpkg);
    let took = t0.elapsed();
    assert_eq!(status, 503, "{v}");
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    // The reader (60 s of CPU allowed) was killed with the request, not left spinning.
    idle_within(pid, Duration::from_secs(2));
}

#[test]
fn a_view_calling_load_extension_is_refused_by_name() {
    let gpkg = gpkg_with_view("SELECT 1 AS fid, {GEOM} AS geom, load_extension('x') AS e");
    let s = start(&[]);
    let (status, v) = post_gpkg(&s.url, gpkg);
    assert_eq!(status, 415, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("load_extension"), "{v}");
    assert!(!e.contains("18446744073709551615"), "{v}");
}

#[test]
fn messages_show_no_in_memory_paths_or_process_ids() {
    let s = start(&[]);
    let pid = s.child.id();
    let mut broken = b"SQLite format 3\0".to_vec();
    broken.extend(std::iter::repeat_n(0x5a, 4096));
    let shp_only = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("site.shp", o).unwrap();
        w.write_all(b"not a shapefile").unwrap();
        w.finish().unwrap().into_inner()
    };
    let cases: [(&str, Vec<u8>); 4] = [
        ("gpkg", broken),
        ("zip", shp_only),
        ("kml", b"<kml><Placemark>".to_vec()),
        ("dxf", b"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n".to_vec()),
    ];
    for (input, body) in cases {
        let readers = children(pid);
        let r = client()
            .post(format!("{}/api/check?input={input}", s.url))
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        assert!((400..500).contains(&status), "{input}: {status} {text}");
        assert!(!text.contains("vsimem"), "{input}: {text}");
        for p in std::iter::once(pid).chain(readers) {
            assert!(!text.contains(&p.to_string()), "{input}: pid {p} in {text}");
        }
    }
}

#[test]
fn what_a_reader_process_reads_is_what_this_process_reads_bit_for_bit() {
    use planmap_io::sandbox::{Job, Sandbox, SandboxSettings};
    use planmap_io::source::{Format, ReadOptions};
    let sandbox = Sandbox::new(SandboxSettings::new(planmap_tests::planmap_bin()));
    // In EPSG:4546 (Gauss-Krüger zone 37): coordinates computed, not copied.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gk.gpkg");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/site_park.geojson");
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-t_srs",
        "EPSG:4546",
        path.to_str().unwrap(),
        src,
    ]);
    let bytes = std::fs::read(&path).unwrap();
    let o = ReadOptions::default();
    let here = planmap_io::read_bytes(&bytes, Format::GeoPackage, &o).unwrap();
    let there = sandbox
        .read_bytes(&bytes, Format::GeoPackage, &o, &Job::new())
        .unwrap();
    assert!(!here.features.is_empty());
    assert_eq!(there, here);
    let site = planmap_io::read_site_bytes(&bytes, Format::GeoPackage, &o).unwrap();
    let read = sandbox.read_site(&path, &o, &Job::new()).unwrap();
    assert_eq!(read.shape, site.shape);
    // A cancelled job reads nothing.
    let job = Job::new();
    job.cancel();
    let e = sandbox
        .read_bytes(&bytes, Format::GeoPackage, &o, &job)
        .unwrap_err();
    assert_eq!(e.error, planmap_io::ReadError::Cancelled);
}

#[test]
fn planmap_import_reads_in_a_reader_with_limits_too() {
    let p = Plan::new();
    let file = p.path("endless.gpkg");
    std::fs::write(&file, endless()).unwrap();
    let o = p.run(&[
        "import",
        file.to_str().unwrap(),
        "--layer",
        "industrial_parks",
        "--reader-cpu-seconds",
        "1",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("CPU time limit of 1 s"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
