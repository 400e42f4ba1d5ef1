//! Helpers shared by the end-to-end tests: where the binary and the data are, hand geometry.

pub mod sites;
pub use sites::*;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The built-in Wenshui plan folder.
pub fn data_dir() -> PathBuf {
    root().join("data/wenshui")
}

/// The `planmap` binary of the same profile as the tests, built on demand.
pub fn planmap_bin() -> PathBuf {
    workspace_bin("planmap")
}

/// The binary of workspace package `name` (its binary has the package's name) of the same
/// profile as the tests, built on demand.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let bin = dir.join(name);
    if !bin.exists() {
        let release = dir.ends_with("release");
        let mut c = Command::new(env!("CARGO"));
        c.current_dir(root()).args(["build", "-p", name]);
        if release {
            c.arg("--release");
        }
        assert!(c.status().expect("cargo build").success());
    }
    bin
}

/// Writes the region's plans of `adcodes` (comma-separated) into `out` with `planmap-datagen
/// region --only`.
pub fn generate_region(adcodes: &str, out: &Path) {
    let done = Command::new(workspace_bin("planmap-datagen"))
        .current_dir(root())
        .args(["region", "--only", adcodes, "--out"])
        .arg(out)
        .output()
        .expect("run planmap-datagen");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// Runs `planmap --data data/wenshui ARGS`.
pub fn planmap(args: &[&str]) -> Output {
    Command::new(planmap_bin())
        .arg("--data")
        .arg(data_dir())
        .args(args)
        .output()
        .expect("run planmap")
}

/// A running `planmap serve` on a free port, killed (SIGKILL) on drop.
pub struct ServeProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
}

impl ServeProcess {
    /// Starts `planmap --data DATA serve --addr 127.0.0.1:0 EXTRA…` with `envs` added to the
    /// environment and waits for the line that prints its URL.
    pub fn start(data: &Path, extra: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let mut command = Command::new(planmap_bin());
        command
            .arg("--data")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .envs(envs.iter().copied());
        ServeProcess::spawn(command)
    }

    /// Starts `command` (a `planmap serve` on port 0) and waits for the line that prints its
    /// URL; its stderr is dropped.
    pub fn spawn(mut command: Command) -> ServeProcess {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start planmap serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the URL line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_string();
        ServeProcess { child, url }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder of this test process for the files it writes, `name` telling it apart: in
/// cargo's scratch folder for tests (`CARGO_TARGET_TMPDIR`, `<target>/tmp`, found from the
/// test binary's place in `<target>/<profile>/deps/`), not in /tmp, where nothing would ever
/// remove it. Created if missing.
pub fn scratch(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "deps"))
        .and_then(|deps| deps.parent()?.parent());
    let root = match target {
        Some(t) => t.join("tmp"),
        None => std::env::temp_dir(),
    };
    let d = root.join(format!("planmap-tests-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `text` to a temp file named `name` and returns its path.
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = scratch("files");
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A GeoJSON Polygon of an axis-aligned lon/lat rectangle.
pub fn rect_geojson(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#
    )
}

/// Area of a lon/lat rectangle on the WGS84 ellipsoid, bounded by two meridians and two
/// parallels, in closed form (Snyder, Map Projections — A Working Manual, eq. 3-12 with the
/// authalic q function). Independent of the engine's geodesic code; for rectangles of a few
/// hundred metres it agrees with a geodesic polygon to ~1e-7.
pub fn rect_area_m2(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let a = 6_378_137.0_f64;
    let f: f64 = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let e = e2.sqrt();
    let b = a * (1.0 - f);
    let q = |lat: f64| {
        let s = lat.to_radians().sin();
        s / (1.0 - e2 * s * s) + (e * s).atanh() / e
    };
    b * b * (x1 - x0).to_radians().abs() * (q(y1) - q(y0)).abs() / 2.0
}

/// Parses stdout as JSON, with the stderr in the panic message if it is not.
pub fn json_out(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); status {:?}; stderr: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A 200 m square parcel as the land-ministry coordinate TXT writes it (CGCS2000 3° Gauss-Krüger
/// zone 37, CRLF): corner `x0` north, `y0` east with the zone prefix, the parcel named `name`.
pub fn coordinate_txt_square(x0: f64, y0: f64, name: &str) -> String {
    let pts = [
        (x0, y0),
        (x0, y0 + 200.0),
        (x0 + 200.0, y0 + 200.0),
        (x0 + 200.0, y0),
    ];
    let mut lines = vec![
        "[属性描述]".to_string(),
        "坐标系=2000国家大地坐标系".into(),
        "几度分带=3".into(),
        "带号=37".into(),
        "[地块坐标]".into(),
        format!("5,4.0000,1,{name},面,,,,@"),
    ];
    for (i, (x, y)) in pts.iter().chain(&pts[..1]).enumerate() {
        lines.push(format!("J{},1,{x:.3},{y:.3}", i % 4 + 1));
    }
    lines.join("\r\n")
}

/// The ids of a history page's records (`GET /api/history`'s JSON), in its order.
pub fn record_ids(page: &serde_json::Value) -> Vec<i64> {
    page["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["id"].as_i64().expect("an id"))
        .collect()
}
