//! The rename test: Wenshui copied with every layer id renamed (scripts/rename-plan.py:
//! county → XZQ, townships → XZQ_XZ, red_line → STBHHX, …; roles, features and attributes
//! unchanged) answers exactly as Wenshui does, modulo the id mapping: the CLI (stats, check,
//! conflicts, export) and the API (plan, layers, check, conflicts, identify, the style). Code
//! that found a layer by its id would lose the townships, the red line or the county share on
//! the copy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use planmap_tests::{data_dir, json_out, planmap_bin, rect_geojson, root, ServeProcess};
use serde_json::Value;

/// The copy, in a temp folder that lives as long as the returned guard, and the mapping from
/// new ids back to Wenshui's.
fn renamed() -> (tempfile::TempDir, PathBuf, HashMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("renamed");
    let script = root().join("scripts/rename-plan.py");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = Command::new("python3")
            .arg(&script)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    run(&[data_dir().as_os_str(), dir.as_os_str()]);
    let map: HashMap<String, String> = serde_json::from_slice(&run(&["--map".as_ref()])).unwrap();
    let back = map.into_iter().map(|(old, new)| (new, old)).collect();
    (tmp, dir, back)
}

/// `s` with every whole identifier (a run of letters, digits and `_`) that is a new id
/// replaced by Wenshui's: `STBHHX-fill`, `/tiles/STBHHX/…`, `STBHHX×YJJBNT`.
fn unmap(s: &str, back: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(back.get(word.as_str()).unwrap_or(word));
        word.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `v` with [`unmap`] applied to every string and object key.
fn unmap_json(v: Value, back: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(unmap(&s, back)),
        Value::Array(a) => a.into_iter().map(|v| unmap_json(v, back)).collect(),
        Value::Object(o) => o
            .into_iter()
            .map(|(k, v)| (unmap(&k, back), unmap_json(v, back)))
            .collect(),
        v => v,
    }
}

/// The JSON paths where `got` and `want` differ (at most 10).
fn differences(got: &Value, want: &Value, path: &str, out: &mut Vec<String>) {
    if out.len() >= 10 {
        return;
    }
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for k in g.keys().chain(w.keys().filter(|k| !g.contains_key(*k))) {
                // A hash of the plan's files: the renamed manifest is other bytes.
                if k == "data_version" || k == "planmap:data_version" {
                    continue;
                }
                let (a, b) = (g.get(k), w.get(k));
                differences(
                    a.unwrap_or(&Value::Null),
                    b.unwrap_or(&Value::Null),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                differences(a, b, &format!("{path}[{i}]"), out);
            }
        }
        (g, w) if g != w => out.push(format!("{path}: {g} ≠ {w}")),
        _ => {}
    }
}

/// Asserts the renamed copy's answer, its ids mapped back, equals Wenshui's.
fn assert_same(got: Value, want: &Value, back: &HashMap<String, String>, what: &str) {
    let mut diff = Vec::new();
    differences(&unmap_json(got, back), want, "", &mut diff);
    assert!(
        diff.is_empty(),
        "{what} differs on the renamed copy:\n{}",
        diff.join("\n")
    );
}

fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new(planmap_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "planmap {args:?} on {}: {}",
        data.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

const PARK: &str = "tests/fixtures/site_park.geojson";
/// Across the county's eastern tip (112.3235977°E at 37.4582°N): partly outside.
const EDGE: [f64; 4] = [112.318, 37.455, 112.330, 37.461];
/// Wholly outside the county: refused.
const OUTSIDE: [f64; 4] = [113.0, 37.40, 113.01, 37.41];
const RED: &str = "tests/fixtures/site_red_line.geojson";

#[test]
fn the_cli_answers_the_same_with_every_layer_renamed() {
    let (tmp, copy, back) = renamed();
    let (park, red) = (root().join(PARK), root().join(RED));
    let (park, red) = (park.to_str().unwrap(), red.to_str().unwrap());
    let site_file = |name: &str, [x0, y0, x1, y1]: [f64; 4]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, rect_geojson(x0, y0, x1, y1)).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (edge, outside) = (
        site_file("edge.geojson", EDGE),
        site_file("out.geojson", OUTSIDE),
    );
    let edge = edge.as_str();

    // What the comparison rests on: on Wenshui the park site lies in a township and a park,
    // away from the red line; the other site overlaps the red line.
    let rep = json_out(&cli(&data_dir(), &["check", park, "--json"]));
    assert!(!rep["townships"].as_array().unwrap().is_empty(), "{rep}");
    assert!(!rep["parks"].as_array().unwrap().is_empty(), "{rep}");
    assert!(rep["nearest_red_line_m"].as_f64().unwrap() > 0.0, "{rep}");
    assert!(rep["inside_county_share"].as_f64().unwrap() > 0.99, "{rep}");
    let rep = json_out(&cli(&data_dir(), &["check", red, "--json"]));
    assert!(
        rep["overlaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["layer"] == "red_line"),
        "{rep}"
    );

    // The county is found on the copy: the edge site's share, the outside site's refusal.
    let rep = json_out(&cli(&data_dir(), &["check", edge, "--json"]));
    let share = rep["inside_county_share"].as_f64().unwrap();
    assert!(share > 0.05 && share < 0.95, "{rep}");
    let refused = |data: &Path| {
        let o = Command::new(planmap_bin())
            .arg("--data")
            .arg(data)
            .args(["check", &outside, "--json"])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{}", data.display());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert_eq!(unmap(&refused(&copy), &back), refused(&data_dir()));

    let runs: [&[&str]; 10] = [
        &["stats", "--json"],
        &["stats"],
        &["check", park, "--json"],
        &["check", park],
        &["check", red, "--json"],
        &["check", red, "--geojson"],
        &["check", edge, "--json"],
        &["conflicts", "--json"],
        &["conflicts"],
        &["export", "red_line"],
    ];
    for args in runs {
        let renamed_args: Vec<String> = args
            .iter()
            .map(|a| match *a {
                "red_line" => "STBHHX".to_string(),
                a => a.to_string(),
            })
            .collect();
        let renamed_args: Vec<&str> = renamed_args.iter().map(String::as_str).collect();
        let want = cli(&data_dir(), args);
        let got = cli(&copy, &renamed_args);
        if args.contains(&"--json") || args.contains(&"--geojson") || args[0] == "export" {
            assert_same(
                json_out(&got),
                &json_out(&want),
                &back,
                &format!("planmap {args:?}"),
            );
        } else {
            // Word for word: columns are as wide as the ids; the data version is a hash of
            // the plan's files.
            let words = |s: &str| -> Vec<String> {
                s.split_whitespace()
                    .filter(|w| !w.starts_with("wenshui-"))
                    .map(str::to_string)
                    .collect()
            };
            let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
            assert_eq!(
                words(&unmap(&text(&got), &back)),
                words(&text(&want)),
                "planmap {args:?}"
            );
        }
    }
}

#[test]
fn the_api_and_the_style_answer_the_same_with_every_layer_renamed() {
    let (_tmp, copy, back) = renamed();
    let wenshui = ServeProcess::start(&data_dir(), &["--no-history"], &[]);
    let other = ServeProcess::start(&copy, &["--no-history"], &[]);
    let client = reqwest::blocking::Client::new();
    let site = std::fs::read_to_string(root().join(PARK)).unwrap();
    let red_site = std::fs::read_to_string(root().join(RED)).unwrap();
    let [x0, y0, x1, y1] = EDGE;
    let edge_site = rect_geojson(x0, y0, x1, y1);
    // URLs in the style name the server's own address (not the Host header): each server's
    // is written as `BASE`, so that they match.
    let ask = |base: &str, path: &str, body: Option<&str>| -> Value {
        let req = match body {
            Some(b) => client.post(format!("{base}{path}")).body(b.to_string()),
            None => client.get(format!("{base}{path}")),
        };
        let r = req.send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let text = r
            .text()
            .unwrap()
            .replace(base.trim_end_matches('/'), "BASE");
        serde_json::from_str(&text).unwrap()
    };
    let (lon, lat) = (112.1075, 37.331); // inside the park site: a township, a park
    let identify = format!("/api/identify?lon={lon}&lat={lat}");
    let queries: [(&str, Option<&str>); 10] = [
        ("/api/plan", None),
        ("/api/layers", None),
        ("/api/check", Some(&site)),
        ("/api/check", Some(&red_site)),
        ("/api/check", Some(&edge_site)),
        ("/api/check?format=geojson", Some(&red_site)),
        ("/api/conflicts", None),
        (&identify, None),
        ("/api/identify?lon=112.099&lat=37.386", None),
        ("/style.json", None),
    ];
    for (path, body) in queries {
        let want = ask(&wenshui.url, path, body);
        let got = ask(&other.url, path, body);
        assert_same(got, &want, &back, path);
    }
    // A site wholly outside the county: the same refusal.
    let [x0, y0, x1, y1] = OUTSIDE;
    let outside = rect_geojson(x0, y0, x1, y1);
    let refused = |base: &str| {
        let r = client
            .post(format!("{base}/api/check"))
            .body(outside.clone())
            .send()
            .unwrap();
        assert_eq!(r.status(), 422, "{base}");
        r.text().unwrap()
    };
    assert_eq!(unmap(&refused(&other.url), &back), refused(&wenshui.url));
    // The identify answers are not empty: the township and the park under the point.
    let v = ask(&wenshui.url, &identify, None);
    let layers: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["layer"].as_str())
        .collect();
    assert!(
        layers.contains(&"townships") && layers.contains(&"industrial_parks"),
        "{v}"
    );
}
