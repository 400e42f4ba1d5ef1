//! `planmap import` and `planmap check` as a data keeper meets them: invalid geometries named
//! and repaired, the conflict scan following an import, a `kill -9` mid-import, a TXT site
//! checked like its GeoJSON twin, bad input as one clear line. Each test works on a copy of
//! data/wenshui.

mod import_support;

use std::process::Command;

use import_support::*;
use planmap_tests::*;
use serde_json::{json, Value};

#[test]
fn invalid_geometries_are_named_and_repaired_on_request() {
    let p = Plan::new();
    // A bow-tie (self-intersecting) and a good square; ids from the `code` field.
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A-1", "name": "蝴蝶形"}, "geometry": {"type": "Polygon", "coordinates": [[[112.1, 37.4], [112.11, 37.41], [112.11, 37.4], [112.1, 37.41], [112.1, 37.4]]]}},
        {"type": "Feature", "properties": {"code": "A-2", "name": "正方形"}, "geometry": {"type": "Polygon", "coordinates": [[[112.2, 37.4], [112.21, 37.4], [112.21, 37.41], [112.2, 37.41], [112.2, 37.4]]]}},
        {"type": "Feature", "properties": {"code": "A-3"}, "geometry": null},
    ]});
    let f = p.path("bad.geojson");
    std::fs::write(&f, fc.to_string()).unwrap();
    let before = std::fs::read(p.data().join("layers/industrial_parks.geojson")).unwrap();
    let o = p.run(&[
        "import",
        f.to_str().unwrap(),
        "--layer",
        "industrial_parks",
        "--id-field",
        "code",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("A-1: ") && err.contains("self-intersection"),
        "{err}"
    );
    assert!(err.contains("A-3: has no geometry"), "{err}");
    assert!(!err.contains("A-2"), "{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.contains("2 invalid geometries") && last.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(
        p.layer_count("industrial_parks"),
        4,
        "old layer still served"
    );
    assert_eq!(
        std::fs::read(p.data().join("layers/industrial_parks.geojson")).unwrap(),
        before
    );

    let r = p.import_json(&[
        f.to_str().unwrap(),
        "--layer",
        "industrial_parks",
        "--id-field",
        "code",
        "--repair",
    ]);
    assert_eq!(r["features"], 2, "{r}");
    assert_eq!(r["repaired"][0]["id"], "A-1");
    assert_eq!(r["dropped"][0]["id"], "A-3");
    let served = p.exported("industrial_parks");
    // The bow-tie becomes its two triangles: half the 0.01° square, by symmetry.
    let square = rect_area_m2(112.1, 37.4, 112.11, 37.41);
    assert!(
        rel(area(&served[0].1), square / 2.0) < 1e-3,
        "{}",
        area(&served[0].1)
    );
    assert_eq!(served[0].1 .0.len(), 2);
    assert!(rel(area(&served[1].1), rect_area_m2(112.2, 37.4, 112.21, 37.41)) < 1e-6);
}

#[test]
fn an_import_shows_in_stats_and_the_conflict_scan() {
    let p = Plan::new();
    // A park square inside 文峪河's red-line strip (red_line-011), where DESIGN's conflict
    // rules forbid one.
    let (x0, y0, x1, y1) = (112.0988, 37.3852, 112.0994, 37.3856);
    let site = temp_file("park_in_red_line.geojson", &rect_geojson(x0, y0, x1, y1));
    p.import_json(&[site.to_str().unwrap(), "--layer", "industrial_parks"]);
    assert_eq!(p.layer_count("industrial_parks"), 1);
    let scan = json_out(&p.ok(&["conflicts", "--json"]));
    let hit: Vec<&Value> = scan["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "red_line×industrial_parks")
        .collect();
    assert_eq!(hit.len(), 1, "{hit:?}");
    assert_eq!(hit[0]["b_id"], "industrial_parks-000001");
    assert_eq!(hit[0]["a_id"], "red_line-011");
    assert!(
        rel(
            hit[0]["area_m2"].as_f64().unwrap(),
            rect_area_m2(x0, y0, x1, y1)
        ) < 1e-4
    );
    // The old parks' planted conflicts are gone with them.
    assert!(!scan["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["b_id"] == "industrial_parks-003"));
}

#[test]
fn kill_mid_import_leaves_the_old_layer_served() {
    let p = Plan::new();
    // 60 000 small squares: big enough that writing takes a while.
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..60_000 {
        let (x, y) = (
            112.0 + (i % 300) as f64 * 0.001,
            37.3 + (i / 300) as f64 * 0.001,
        );
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"name\":\"图斑{i}\",\"note\":\"{}\"}},\"geometry\":{}}}",
            "x".repeat(200),
            rect_geojson(x, y, x + 0.0008, y + 0.0008)
        ));
    }
    text.push_str("\n]}\n");
    let big = p.path("big.geojson");
    std::fs::write(&big, text).unwrap();
    let layers = p.data().join("layers");
    let mut killed = false;
    for _ in 0..5 {
        let mut child = Command::new(planmap_bin())
            .arg("--data")
            .arg(p.data())
            .args(["import", big.to_str().unwrap(), "--layer", "water_sources"])
            .spawn()
            .unwrap();
        // Wait until the new version is being written, then kill -9.
        let start = std::time::Instant::now();
        let writing = loop {
            let partial = std::fs::read_dir(&layers).unwrap().flatten().any(|e| {
                let n = e.file_name().to_string_lossy().to_string();
                n.starts_with(".water_sources.v")
                    && n.contains(".partial-")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            });
            if partial || start.elapsed().as_secs() > 120 {
                break partial;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if writing && running {
            killed = true;
            break;
        }
        // It finished before it could be caught: undo and try again.
        assert!(p.run(&["stats"]).status.success());
        std::fs::remove_file(layers.join("water_sources.current")).ok();
    }
    assert!(killed, "the import was never caught mid-write");
    assert_eq!(
        p.layer_count("water_sources"),
        5,
        "old layer served after kill -9"
    );
    assert!(!layers.join("water_sources.current").exists());
    // A re-run succeeds, cleans the dead import's partial file and switches.
    let r = p.import_json(&[big.to_str().unwrap(), "--layer", "water_sources"]);
    assert_eq!(r["features"], 60_000);
    assert_eq!(p.layer_count("water_sources"), 60_000);
    let left: Vec<String> = std::fs::read_dir(&layers)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".partial-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_txt_site_checks_like_the_same_site_in_geojson() {
    let p = Plan::new();
    // A site across red_line-011's edge: part prohibited, part free.
    let corners = [
        (112.0975, 37.3850),
        (112.0995, 37.3850),
        (112.0995, 37.3866),
        (112.0975, 37.3866),
    ];
    let mut ring = corners.to_vec();
    ring.push(corners[0]);
    let gj = json!({"type": "Polygon", "coordinates": [ring.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>()]});
    let gj_path = p.path("site.geojson");
    std::fs::write(&gj_path, gj.to_string()).unwrap();
    let gk = to_gk(&ring);
    let mut txt = String::from("[属性描述]\r\n坐标系=2000国家大地坐标系\r\n几度分带=3\r\n带号=37\r\n精度=0.001\r\n[地块坐标]\r\n");
    txt.push_str(&format!("{},,1,测试用地,面,,,,@\r\n", gk.len()));
    for (i, (e, n)) in gk.iter().enumerate() {
        txt.push_str(&format!("J{},1,{n:.3},{e:.3}\r\n", i % 4 + 1));
    }
    let txt_path = p.path("site.txt");
    std::fs::write(&txt_path, encoding_rs::GBK.encode(&txt).0).unwrap();
    let a = json_out(&p.ok(&["check", "--json", gj_path.to_str().unwrap()]));
    let b = json_out(&p.ok(&["check", "--json", txt_path.to_str().unwrap()]));
    assert_eq!(a["verdict"], b["verdict"]);
    assert_eq!(a["verdict"], "不通过", "{a}");
    assert_eq!(a["verdict_en"], b["verdict_en"]);
    assert!(
        rel(
            a["site_area_m2"].as_f64().unwrap(),
            b["site_area_m2"].as_f64().unwrap()
        ) < 1e-4
    );
    assert!(
        rel(
            a["site_area_m2"].as_f64().unwrap(),
            rect_area_m2(112.0975, 37.385, 112.0995, 37.3866)
        ) < 1e-4
    );
    let overlaps = |r: &Value| -> Vec<(String, f64)> {
        r["overlaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["layer"].as_str().unwrap().to_string(),
                    o["area_m2"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (oa, ob) = (overlaps(&a), overlaps(&b));
    assert!(!oa.is_empty());
    assert_eq!(oa.len(), ob.len(), "{oa:?} {ob:?}");
    for ((la, xa), (lb, xb)) in oa.iter().zip(&ob) {
        assert_eq!(la, lb);
        assert!(rel(*xa, *xb) < 1e-4, "{la}: {xa} vs {xb}");
    }
}

#[test]
fn bad_input_is_one_clear_line() {
    let p = Plan::new();
    let junk = p.path("junk.shp");
    std::fs::write(&junk, b"not a shapefile").unwrap();
    let noext = p.path("site.xyz");
    std::fs::write(&noext, b"1,2,3").unwrap();
    let txt = p.path("bad.txt");
    std::fs::write(&txt, "[地块坐标]\nJ1,1,4144702.574,37588509.109\n").unwrap();
    let gj = p.path("ok.geojson");
    std::fs::write(&gj, rect_geojson(112.1, 37.4, 112.11, 37.41)).unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "import",
            junk.to_str().unwrap(),
            "--layer",
            "industrial_parks",
        ],
        vec![
            "import",
            noext.to_str().unwrap(),
            "--layer",
            "industrial_parks",
        ],
        vec![
            "import",
            "/nonexistent/x.geojson",
            "--layer",
            "industrial_parks",
        ],
        vec!["import", gj.to_str().unwrap(), "--layer", "no_such_layer"],
        vec!["import", gj.to_str().unwrap(), "--layer", "places"],
        vec![
            "import",
            gj.to_str().unwrap(),
            "--layer",
            "industrial_parks",
            "--crs",
            "EPSG:4525",
        ],
        vec![
            "import",
            gj.to_str().unwrap(),
            "--layer",
            "industrial_parks",
            "--crs",
            "mars",
        ],
        vec!["check", txt.to_str().unwrap()],
        vec!["check", junk.to_str().unwrap()],
        vec!["check", noext.to_str().unwrap()],
    ];
    for args in cases {
        let o = p.run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.len() == 1 || args[0] == "import" && args[3] == "places",
            "{args:?}: {err}"
        );
        assert!(
            lines.last().unwrap().starts_with("planmap: "),
            "{args:?}: {err}"
        );
    }
    assert_eq!(p.layer_count("industrial_parks"), 4);
}

#[test]
fn export_writes_a_geopackage_a_shapefile_and_a_txt_that_read_back() {
    let p = Plan::new();
    let served = p.exported("industrial_parks");
    assert!(served.len() >= 2);
    for name in ["parks.gpkg", "parks.shp.zip"] {
        let out = p.path(name);
        p.ok(&["export", "industrial_parks", "-o", out.to_str().unwrap()]);
        // GDAL reads what planmap wrote: the same parks, names and geodesic areas.
        let back = gdal_reading(&out, &[]);
        assert_eq!(back.len(), served.len(), "{name}");
        for ((sp, sg), (bp, bg)) in served.iter().zip(&back) {
            assert_eq!(sp["name"], bp["name"], "{name}: Chinese names intact");
            assert!(
                rel(area(bg), area(sg)) < 1e-9,
                "{name}: {} vs {}",
                area(bg),
                area(sg)
            );
        }
    }
    // The coordinate TXT: GBK, one parcel a park; imported again, areas within the
    // millimetre rounding of its coordinates.
    let txt = p.path("parks.txt");
    p.ok(&["export", "industrial_parks", "-o", txt.to_str().unwrap()]);
    let bytes = std::fs::read(&txt).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(
        !bad && std::str::from_utf8(&bytes).is_err(),
        "written in GBK"
    );
    assert!(
        text.contains("[地块坐标]") && text.contains("带号=37"),
        "{text}"
    );
    let parcels = text.lines().filter(|l| l.contains(",@")).count();
    assert_eq!(parcels, served.len(), "{text}");
    let report = p.import_json(&[txt.to_str().unwrap(), "--layer", "industrial_parks"]);
    assert_eq!(report["features"], served.len(), "{report}");
    let again = p.exported("industrial_parks");
    for ((_, a), (_, b)) in served.iter().zip(&again) {
        assert!(rel(area(b), area(a)) < 1e-5, "{} vs {}", area(b), area(a));
    }
    // A name that says no format, and a point layer as TXT, are refused in one line.
    let o = p.run(&[
        "export",
        "industrial_parks",
        "-o",
        p.path("x.dat").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format"));
    let o = p.run(&[
        "export",
        "places",
        "--format",
        "txt",
        "-o",
        txt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}
