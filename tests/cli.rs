//! The `planmap` CLI on the built-in Wenshui data, checked against independent facts: the
//! plan's published figures, hand-built sites with closed-form areas, the planted conflicts'
//! hand geometry, and GDAL's reading of the exports.

use geo::{ClosestPoint, Distance, GeodesicArea};
use planmap_tests::*;
use serde_json::Value;

fn stats() -> Value {
    let out = planmap(&["stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_out(&out)
}

fn layer_stats<'a>(s: &'a Value, id: &str) -> &'a Value {
    s["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no layer {id}"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn stats_match_the_plans_figures() {
    let s = stats();
    // Indicator 1: 生态保护红线面积 367.4 km² (binding).
    let red = layer_stats(&s, "red_line");
    assert!(
        rel(red["area_km2"].as_f64().unwrap(), 367.4) < 0.005,
        "{red}"
    );
    // Indicator 2: 永久基本农田 46.44 万亩 = 464 400 亩, in ≥ 20 000 patches.
    let farm = layer_stats(&s, "farmland");
    assert!(
        rel(farm["area_mu"].as_f64().unwrap(), 464_400.0) < 0.005,
        "{farm}"
    );
    assert!(farm["features"].as_u64().unwrap() >= 20_000);
    // The plan's county area, 1068.57 km²; the real boundary measures 1069.34 (its README).
    let county = layer_stats(&s, "county");
    assert!(
        rel(county["area_km2"].as_f64().unwrap(), 1068.57) < 0.003,
        "{county}"
    );
    // 7 镇 5 乡.
    assert_eq!(layer_stats(&s, "townships")["features"], 12);
    // Feature counts equal the files'.
    for l in s["layers"].as_array().unwrap() {
        let id = l["id"].as_str().unwrap();
        let n = layer_json(id)["features"].as_array().unwrap().len();
        assert_eq!(l["features"].as_u64().unwrap() as usize, n, "{id}");
    }
    assert_eq!(s["illustrative"], true);
}

#[test]
fn townships_partition_the_county() {
    let county: f64 = polygons("county")
        .iter()
        .map(|(_, p)| p.geodesic_area_unsigned())
        .sum();
    let towns = polygons("townships");
    let sum: f64 = towns.iter().map(|(_, p)| p.geodesic_area_unsigned()).sum();
    // No gap and no overlap: the parts add up to the whole (to < 1 m² in ~1e9 m²).
    assert!(
        (sum - county).abs() < 1.0,
        "townships {sum} vs county {county}"
    );
    let names: Vec<String> = layer_json("townships")["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    for n in [
        "凤城镇",
        "开栅镇",
        "南庄镇",
        "南安镇",
        "刘胡兰镇",
        "下曲镇",
        "孝义镇",
        "南武乡",
        "西城乡",
        "北张乡",
        "马西乡",
        "西槽头乡",
    ] {
        assert!(names.iter().any(|x| x == n), "missing township {n}");
    }
}

fn check_json(site: &str) -> Value {
    let path = temp_file(&format!("site-{:x}.geojson", fxhash(site)), site);
    let out = planmap(&["check", path.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_out(&out)
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

fn overlap<'a>(report: &'a Value, layer: &str) -> Option<&'a Value> {
    report["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["layer"] == layer)
}

#[test]
fn site_inside_the_red_line_is_not_permitted() {
    let (r, id) = square_inside("red_line", 0.001, &[]);
    let report = check_json(&rect_geojson(r.0, r.1, r.2, r.3));
    assert_eq!(report["verdict"], "不通过");
    let expected = rect_area_m2(r.0, r.1, r.2, r.3);
    assert!(rel(report["site_area_m2"].as_f64().unwrap(), expected) < 1e-5);
    let o = overlap(&report, "red_line").expect("red line overlap");
    assert!(rel(o["area_m2"].as_f64().unwrap(), expected) < 1e-5, "{o}");
    assert!((o["share"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    assert!(o["feature_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == &id));
    assert!(
        (o["area_mu"].as_f64().unwrap() - o["area_m2"].as_f64().unwrap() * 15.0 / 10_000.0).abs()
            < 1e-6
    );
    assert!(report["nearest_red_line_m"].is_null());
}

#[test]
fn site_half_on_farmland_overlaps_half() {
    // Two equal squares: one inside a farmland patch, one inside an industrial park clear of
    // every protected layer. The farmland share is the first square's share of the total.
    let half = 0.0002; // ≈ 35 m × 44 m
    let (a, fid) = square_inside(
        "farmland",
        half,
        &["red_line", "water_sources", "eco_corridors", "eco_barrier"],
    );
    let (b, _) = square_inside(
        "industrial_parks",
        half,
        &[
            "red_line",
            "farmland",
            "water_sources",
            "eco_corridors",
            "eco_barrier",
        ],
    );
    let site = format!(
        r#"{{"type":"MultiPolygon","coordinates":[[[[{},{}],[{},{}],[{},{}],[{},{}],[{},{}]]],[[[{},{}],[{},{}],[{},{}],[{},{}],[{},{}]]]]}}"#,
        a.0,
        a.1,
        a.2,
        a.1,
        a.2,
        a.3,
        a.0,
        a.3,
        a.0,
        a.1,
        b.0,
        b.1,
        b.2,
        b.1,
        b.2,
        b.3,
        b.0,
        b.3,
        b.0,
        b.1
    );
    let report = check_json(&site);
    let (aa, ab) = (
        rect_area_m2(a.0, a.1, a.2, a.3),
        rect_area_m2(b.0, b.1, b.2, b.3),
    );
    let o = overlap(&report, "farmland").expect("farmland overlap");
    assert!(rel(o["area_m2"].as_f64().unwrap(), aa) < 1e-5, "{o}");
    assert!((o["share"].as_f64().unwrap() - aa / (aa + ab)).abs() < 1e-5);
    assert!((o["share"].as_f64().unwrap() - 0.5).abs() < 0.01);
    assert_eq!(
        o["feature_ids"].as_array().unwrap(),
        &vec![Value::from(fid)]
    );
    assert_eq!(report["verdict"], "不通过");
}

#[test]
fn site_inside_a_park_off_protected_layers_is_permitted() {
    let (r, park_id) = square_inside(
        "industrial_parks",
        0.001,
        &[
            "red_line",
            "farmland",
            "water_sources",
            "eco_corridors",
            "eco_barrier",
        ],
    );
    let park_name = layer_json("industrial_parks")["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == park_id.as_str())
        .unwrap()["properties"]["name"]
        .clone();
    let report = check_json(&rect_geojson(r.0, r.1, r.2, r.3));
    assert_eq!(report["verdict"], "通过", "{report}");
    assert!(report["overlaps"].as_array().unwrap().is_empty());
    assert!(
        report["parks"].as_array().unwrap().contains(&park_name),
        "{report}"
    );
    assert!(!report["townships"].as_array().unwrap().is_empty());
    // Off the red line, so the report says how far it is. Independently: the shortest geodesic
    // distance between the two is from a vertex of one to its closest point on the other; the
    // closest point is found in degrees, which overestimates the metric minimum by a hair.
    let d = report["nearest_red_line_m"].as_f64().expect("distance");
    let corners = [(r.0, r.1), (r.2, r.1), (r.2, r.3), (r.0, r.3)];
    let mut best = f64::MAX;
    for (_, mp) in polygons("red_line") {
        for (x, y) in corners {
            let pt = geo::Point::new(x, y);
            if let geo::Closest::SinglePoint(c) | geo::Closest::Intersection(c) =
                mp.closest_point(&pt)
            {
                best = best.min(geo::Geodesic.distance(pt, c));
            }
        }
        let sq = rect_poly(r);
        for v in geo::CoordsIter::coords_iter(&mp) {
            let pt = geo::Point(v);
            if let geo::Closest::SinglePoint(c) = sq.closest_point(&pt) {
                best = best.min(geo::Geodesic.distance(pt, c));
            }
        }
    }
    assert!(
        d > 0.0 && (d - best).abs() <= best * 0.003 + 0.5,
        "engine {d} m, independent {best} m"
    );
}

#[test]
fn bow_tie_site_is_refused_naming_the_self_intersection() {
    let path = temp_file(
        "bowtie.geojson",
        r#"{"type":"Polygon","coordinates":[[[112.2,37.4],[112.21,37.41],[112.21,37.4],[112.2,37.41],[112.2,37.4]]]}"#,
    );
    let out = planmap(&["check", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("self-intersection"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_sites_get_one_line_errors() {
    let cases = [
        (
            "line.geojson",
            r#"{"type":"LineString","coordinates":[[112,37],[112.1,37]]}"#,
            "LineString",
        ),
        (
            "open.geojson",
            r#"{"type":"Polygon","coordinates":[[[112,37.4],[112.1,37.4],[112.1,37.5],[112,37.5]]]}"#,
            "not closed",
        ),
        ("junk.geojson", "{not json", "GeoJSON"),
        (
            "far.geojson",
            &rect_geojson(100.0, 30.0, 100.01, 30.01),
            "outside",
        ),
        (
            "range.geojson",
            &rect_geojson(190.0, 37.0, 190.01, 37.01),
            "range",
        ),
    ];
    for (name, text, needle) in cases {
        let path = temp_file(name, text);
        let out = planmap(&["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{name}: {err}");
    }
    let out = planmap(&["check", "/nonexistent/site.geojson"]);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn conflicts_find_every_planted_conflict() {
    let planted: Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("planted_conflicts.json")).unwrap(),
    )
    .unwrap();
    let out = planmap(&["conflicts", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = json_out(&out);
    let found: Vec<&Value> = scan["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(scan["slivers"].as_array().unwrap())
        .collect();
    let planted = planted.as_array().unwrap();
    assert!(planted.len() >= 4);
    for p in planted {
        // The planted overlap is hand geometry: its area, measured here, is the expectation.
        let expected = to_multipolygon(&p["overlap"]).geodesic_area_unsigned();
        let hit = found
            .iter()
            .find(|c| c["a_id"] == p["a"] && c["b_id"] == p["b"])
            .unwrap_or_else(|| panic!("planted conflict not found: {p}"));
        let got = hit["area_m2"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-6 * expected.max(1.0) + 1e-4,
            "{p}: {got} vs {expected}"
        );
        let is_sliver = expected < scan["sliver_tolerance_m2"].as_f64().unwrap();
        let in_slivers = scan["slivers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| std::ptr::eq(c, *hit));
        assert_eq!(is_sliver, in_slivers, "sliver classification of {p}");
    }
    // Nothing but the planted ones.
    assert_eq!(
        found.len(),
        planted.len(),
        "unplanned conflicts: {}",
        scan["summary"]
    );
}

#[test]
fn export_is_geojson_that_gdal_reads() {
    for layer in ["townships", "red_line", "farmland"] {
        let path = scratch("export").join(format!("{layer}.geojson"));
        let out = planmap(&["export", layer, "-o", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n = layer_json(layer)["features"].as_array().unwrap().len();
        let info = std::process::Command::new("ogrinfo")
            .args(["-ro", "-so", "-al"])
            .arg(&path)
            .output()
            .expect("ogrinfo (Debian gdal-bin) must be installed: make deps");
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.status.success(),
            "{}",
            String::from_utf8_lossy(&info.stderr)
        );
        assert!(
            text.contains(&format!("Feature Count: {n}")),
            "{layer}: {text}"
        );
        assert!(text.contains("Polygon"), "{text}");
        let _ = std::fs::remove_file(path);
    }
    let out = planmap(&["export", "no_such_layer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_layer"));
}

#[test]
fn a_clockwise_site_measures_like_its_counter_clockwise_twin() {
    let (x0, y0, x1, y1) = (112.0, 37.43, 112.01, 37.44);
    let cw = format!(
        r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x0},{y1}],[{x1},{y1}],[{x1},{y0}],[{x0},{y0}]]]}}"#
    );
    let expected = rect_area_m2(x0, y0, x1, y1);
    let a = check_json(&cw)["site_area_m2"].as_f64().unwrap();
    let b = check_json(&rect_geojson(x0, y0, x1, y1))["site_area_m2"]
        .as_f64()
        .unwrap();
    assert!(
        rel(a, expected) < 1e-5 && rel(b, expected) < 1e-5,
        "{a} {b} {expected}"
    );
}

/// A site wholly on protected land that two prohibited layers cover (a planted red-line ×
/// farmland overlap) leaves nothing after avoidance, and that nothing is 0 everywhere a person
/// or program reads it: the JSON (`0.0`, not `-0.0`), the terminal and the HTML report (`0`,
/// not `-0.00`).
#[test]
fn a_wholly_excluded_site_leaves_zero_not_minus_zero() {
    let planted: Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("planted_conflicts.json")).unwrap(),
    )
    .unwrap();
    let piece = planted
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["rule"] == "red_line×farmland" && p["severity"] == "conflict")
        .max_by(|a, b| {
            a["area_m2"]
                .as_f64()
                .partial_cmp(&b["area_m2"].as_f64())
                .unwrap()
        })
        .expect("a planted red-line × farmland conflict");
    let ring = piece["overlap"]["coordinates"][0].as_array().unwrap();
    let xs: Vec<f64> = ring.iter().map(|c| c[0].as_f64().unwrap()).collect();
    let ys: Vec<f64> = ring.iter().map(|c| c[1].as_f64().unwrap()).collect();
    let (cx, cy) = (
        (xs.iter().cloned().fold(f64::MAX, f64::min) + xs.iter().cloned().fold(f64::MIN, f64::max))
            / 2.0,
        (ys.iter().cloned().fold(f64::MAX, f64::min) + ys.iter().cloned().fold(f64::MIN, f64::max))
            / 2.0,
    );
    let d = 0.0001;
    let path = temp_file(
        "site-wholly-excluded.geojson",
        &rect_geojson(cx - d, cy - d, cx + d, cy + d),
    );
    let site = path.to_str().unwrap();
    let out = planmap(&["check", site, "--json"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"avoidance_area_m2\": 0.0"), "{text}");
    let report = json_out(&out);
    assert_eq!(report["verdict"], "不通过");
    assert!(overlap(&report, "red_line").is_some() && overlap(&report, "farmland").is_some());

    let human = String::from_utf8_lossy(&planmap(&["check", site]).stdout).to_string();
    assert!(human.contains("after avoidance: 0.0 m²"), "{human}");
    assert!(!human.contains(" -0.0"), "{human}");

    let html = temp_file("report-wholly-excluded.html", "");
    let out = planmap(&["check", site, "--report", html.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<b>避让后可用面积</b> <span data-m2=\"0\">0 m² · 0 亩</span>"),
        "{}",
        &page[page.find("避让后").unwrap_or(0)..][..300]
    );
    assert!(!page.contains("-0.0"), "a negative zero in the report");
}

#[test]
fn a_manifest_without_its_county_or_with_a_role_twice_is_refused_by_name() {
    let manifest = std::fs::read_to_string(data_dir().join("plan.toml")).unwrap();
    let cases = [
        // No county role: the check could not measure a county share nor refuse a site.
        (
            manifest.replace("role = \"county\"\n", ""),
            "role = \"county\"",
        ),
        // Two red lines: which would the nearest distance be to?
        (
            manifest.replace("role = \"parks\"", "role = \"red_line\""),
            "'red_line' and 'industrial_parks'",
        ),
        // A drawing key that does not exist.
        (manifest.replace("search = false", "serch = false"), "serch"),
    ];
    for (i, (text, needle)) in cases.into_iter().enumerate() {
        assert_ne!(text, manifest, "case {i} changed nothing");
        let dir = scratch(&format!("roles-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("plan.toml"), text).unwrap();
        let out = std::process::Command::new(planmap_bin())
            .arg("--data")
            .arg(&dir)
            .arg("stats")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("plan.toml") && err.contains(needle),
            "case {i}: {err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
